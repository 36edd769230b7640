'use strict';
// The client takes the core's one ClientOptions: the options new to Node reach the core.

const test = require('node:test');
const assert = require('node:assert/strict');
const dollr = require('dollr-native');
const { withSandbox } = require('./fixtures.js');

test('ignoreEnv leaves the environment unread', () => {
  const saved = { id: process.env.DOLLR_CLIENT_ID, secret: process.env.DOLLR_CLIENT_SECRET };
  process.env.DOLLR_CLIENT_ID = 'from-env';
  process.env.DOLLR_CLIENT_SECRET = 'from-env-secret';
  try {
    assert.equal(new dollr.Client({ baseUrl: 'http://127.0.0.1:9' }).clientId, 'from-env');
    assert.throws(
      () => new dollr.Client({ baseUrl: 'http://127.0.0.1:9', ignoreEnv: true }),
      (error) => error instanceof dollr.ValidationError && error.details[0].field === 'clientId',
    );
  } finally {
    for (const [name, value] of [['DOLLR_CLIENT_ID', saved.id], ['DOLLR_CLIENT_SECRET', saved.secret]]) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('a bad duration option is refused, naming it the JS way', () => {
  for (const option of ['connectTimeoutMs', 'initialBackoffMs', 'maxBackoffMs', 'maxRetryAfterMs']) {
    assert.throws(
      () => new dollr.Client({ clientId: 'id', clientSecret: 's', [option]: -1 }),
      (error) => error instanceof dollr.ValidationError && error.details[0].field === option,
      option,
    );
  }
});

test('maxRetryAfterMs reaches the core: a longer Retry-After surfaces as RateLimitError', async () => {
  // The API asks to wait 2 s; a client that waits at most 1 s inside a call surfaces the 429 for
  // the caller to schedule (the default waits up to 60 s, and succeeds).
  const options = { client: { maxRetryAfterMs: 1_000, initialBackoffMs: 1, maxBackoffMs: 10 } };
  await withSandbox(options, async (sandbox, client) => {
    await client.parties.list(); // the token is fetched: the fault hits the call itself
    await sandbox.addFault({ kind: 'rate_limit', retry_after: 2, count: 1 });
    await assert.rejects(client.parties.list(), dollr.RateLimitError);
  });
});

test('the host hooks of the WebAssembly engine are refused by the addon, by name, typed', () => {
  for (const [option, value] of [
    ['tokenProvider', async () => ({ token: 't' })],
    ['journalStore', { get: async () => undefined, put: async () => {}, list: async () => [] }],
  ]) {
    assert.throws(
      () => new dollr.Client({ baseUrl: 'http://127.0.0.1:9', [option]: value }),
      (error) =>
        error instanceof dollr.ValidationError &&
        error.details[0].field === option &&
        /WebAssembly engine/.test(error.message),
    );
  }
  assert.throws(
    () => new dollr.Client({ baseUrl: 'http://127.0.0.1:9', tokenProvider: 'not a function' }),
    (error) => error instanceof dollr.ValidationError && error.details[0].field === 'tokenProvider',
  );
});
