// A Durable Object whose storage is dollr's journal (bindings-wasm/README.md shows it): one object
// per merchant account runs one request at a time, so its storage is a journal many isolates can
// share. Run inside workerd by bindings-wasm/test/workerd.test.mjs.
import { Client, testNumbers } from 'dollr-native';

export class Payments {
  constructor(state, env) {
    this.storage = state.storage;
    this.client = new Client({
      baseUrl: env.DOLLR_BASE_URL,
      clientId: env.DOLLR_CLIENT_ID,
      clientSecret: env.DOLLR_CLIENT_SECRET,
      journalStore: {
        get: (key) => state.storage.get(key),
        put: (key, value) => state.storage.put(key, value),
        list: async (prefix) => [...(await state.storage.list({ prefix })).values()],
      },
    });
  }

  async fetch(request) {
    if (new URL(request.url).pathname === '/journal') {
      return Response.json(Object.fromEntries(await this.storage.list({ prefix: 'dollr-intent:' })));
    }
    const outcome = await this.client.collect({
      phone: testNumbers.completes,
      payerName: 'Amara Kamara',
      currency: 'USD',
      amount: '250.00',
    });
    return Response.json({ referenceId: outcome.referenceId, status: outcome.execution.status });
  }
}

export default {
  fetch(request, env) {
    return env.PAYMENTS.get(env.PAYMENTS.idFromName('merchant-account')).fetch(request);
  },
};
