'use strict';
// The WebAssembly engine's host hooks, under Node (`make test-wasm` runs this folder with
// DOLLR_NATIVE_ENGINE=wasm): a token provider instead of a client secret, a journal kept by the
// host, and the refusal of a client secret in a browser.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Client, ValidationError, AuthenticationError, testNumbers } = require('dollr-native');
const { startSandbox } = require('dollr-native/testing');

/** What a merchant's server does for its pages: exchange its credentials for a token. */
async function serverToken(sandbox) {
  const response = await fetch(`${sandbox.url}/v1/jwt/client/obtain/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: sandbox.clientId, client_secret: sandbox.clientSecret }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).access_token;
}

test('a token provider replaces the client secret, and is asked again after a 401', async (t) => {
  const sandbox = await startSandbox();
  t.after(() => sandbox.stop());
  const asked = [];
  const client = new Client({
    baseUrl: sandbox.url,
    tokenProvider: async (forceRefresh) => {
      asked.push(forceRefresh);
      return { token: await serverToken(sandbox), expiresInMs: 3_600_000 };
    },
  });
  assert.equal(client.clientId, undefined);
  const outcome = await client.collect({ phone: testNumbers.completes, payerName: 'Amara Kamara', currency: 'USD', amount: '5.00', pollIntervalMs: 20 });
  assert.equal(outcome.execution.status, 'COMPLETED');
  assert.deepEqual(asked, [false]);
  assert.ok((await sandbox.revokeTokens()) >= 1);
  await client.parties.list();
  assert.deepEqual(asked, [false, true], 'a refused token is replaced by a fresh one (forceRefresh)');
});

test("a token provider's failure is the call's error, typed", async (t) => {
  const sandbox = await startSandbox();
  t.after(() => sandbox.stop());
  const client = new Client({
    baseUrl: sandbox.url,
    tokenProvider: async () => {
      throw new Error('the merchant server is down');
    },
  });
  await assert.rejects(client.parties.list(), (error) => {
    assert.ok(error instanceof AuthenticationError);
    assert.match(error.message, /the merchant server is down/);
    return true;
  });
});

test('a journal store kept by the host holds every intent, and a second client resumes from it', async (t) => {
  const sandbox = await startSandbox();
  t.after(() => sandbox.stop());
  const kept = new Map(); // what a Durable Object's storage would hold
  const journalStore = {
    get: async (key) => kept.get(key),
    put: async (key, value) => void kept.set(key, value),
    list: async (prefix) => [...kept].filter(([key]) => key.startsWith(prefix)).map(([, value]) => value),
  };
  const options = { baseUrl: sandbox.url, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, journalStore };
  const outcome = await new Client(options).collect({ phone: testNumbers.completes, payerName: 'Amara Kamara', currency: 'USD', amount: '7.50', pollIntervalMs: 20 });
  const stored = JSON.parse(kept.get(`dollr-intent:${outcome.referenceId}`));
  assert.equal(stored.reference_id, outcome.referenceId);
  assert.equal(stored.state, 'COMPLETED');
  // A fresh client on the same store (another isolate) finds nothing left to resolve.
  const report = await new Client(options).reconcile();
  assert.equal(report.entries.length, 0);
  const [intent] = (await sandbox.paymentIntents()).filter((row) => row.reference_id === outcome.referenceId);
  assert.ok(intent, 'the payment reached the sandbox once');
});

test('in a browser a client secret is refused, typed, before anything is built', async (t) => {
  const saved = { window: globalThis.window, document: globalThis.document, process: globalThis.process };
  t.after(() => Object.assign(globalThis, saved));
  globalThis.window = globalThis;
  globalThis.document = {};
  // A page has no `process`; hide Node's for the check (restored above).
  Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true, writable: true });
  let refused;
  try {
    new Client({ baseUrl: 'https://api.example', clientId: 'id', clientSecret: 'secret' });
  } catch (error) {
    refused = error;
  }
  Object.defineProperty(globalThis, 'process', { value: saved.process, configurable: true, writable: true });
  assert.ok(refused instanceof ValidationError, String(refused));
  assert.equal(refused.code, 'Validation');
  assert.equal(refused.details[0].field, 'clientSecret');
  assert.doesNotMatch(refused.message, /secret'|"secret"/);
});

test("a refused call's stack points at its caller, below the WebAssembly glue's frames", async () => {
  const client = new Client({ baseUrl: 'http://127.0.0.1:9', clientId: 'id', clientSecret: 'secret' });
  async function callerOfTheRefusedCall() {
    return client.parties.create({ fullname: '', phone: testNumbers.completes });
  }
  await assert.rejects(callerOfTheRefusedCall(), (error) => {
    assert.ok(error instanceof ValidationError, String(error));
    assert.match(error.stack, /^ValidationError: /);
    assert.match(error.stack, /callerOfTheRefusedCall/, 'the stack names the caller');
    return true;
  });
});
