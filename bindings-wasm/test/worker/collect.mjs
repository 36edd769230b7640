// A Cloudflare Worker that takes a payment with dollr-native: bundled with the `workerd`
// condition (bindings-wasm/test/workerd.test.mjs), so it runs the WebAssembly engine, and run in
// workerd by miniflare against the sandbox on loopback.
import { Client, testNumbers, VERSION } from 'dollr-native';

export default {
  async fetch(request, env) {
    const client = new Client({
      baseUrl: env.DOLLR_BASE_URL,
      clientId: env.DOLLR_CLIENT_ID,
      clientSecret: env.DOLLR_CLIENT_SECRET,
    });
    const events = [];
    const outcome = await client.collect({
      phone: testNumbers.completes,
      payerName: 'Amara Kamara',
      currency: 'USD',
      amount: '250.00',
      pollIntervalMs: 50,
      onEvent: (event) => events.push(event.event),
    });
    let refused;
    try {
      await client.collect({ phone: testNumbers.completes, payerName: 'Amara Kamara', currency: 'USD', amount: '1.001' });
    } catch (error) {
      refused = { name: error.constructor.name, code: error.code, field: error.details?.[0]?.field };
    }
    return Response.json({
      version: VERSION,
      referenceId: outcome.referenceId,
      status: outcome.execution.status,
      payerAmount: outcome.execution.payerAmount,
      events,
      refused,
    });
  },
};
