// A Cloudflare Worker taking a payment with dollr-native (README.md, "Edge runtimes", shows it):
// bundled with the `workerd` condition by bindings-wasm/test/workerd.test.mjs, so it runs the
// WebAssembly engine, and run inside workerd by miniflare against the sandbox on loopback.
import { Client, testNumbers } from 'dollr-native';

export default {
  async fetch(request, env) {
    const client = new Client({
      baseUrl: env.DOLLR_BASE_URL,
      clientId: env.DOLLR_CLIENT_ID,
      clientSecret: env.DOLLR_CLIENT_SECRET, // a Worker is a server: the secret is a Worker secret
    });
    const outcome = await client.collect({
      phone: testNumbers.completes,
      payerName: 'Amara Kamara',
      currency: 'USD',
      amount: '250.00',
    });
    return Response.json({
      referenceId: outcome.referenceId,
      status: outcome.execution.status,
      payerAmount: outcome.execution.payerAmount,
    });
  },
};
