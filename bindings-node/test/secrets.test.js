'use strict';
// Secrets never show: not in util.inspect or JSON of the client, not in its properties, not in
// errors; secret fields of results are Secret objects; Secret inputs are accepted.

const test = require('node:test');
const assert = require('node:assert/strict');
const { inspect } = require('node:util');
const { Client, Secret, testNumbers } = require('dollr-native');
const { withSandbox, FAST, PASSCODE_PHONE } = require('./fixtures.js');

const SECRET = 's3cr3t-value-9f2b';

test('util.inspect(client) and JSON.stringify(client) never show the secret', () => {
  const client = new Client({ baseUrl: 'http://127.0.0.1:9', clientId: 'merchant-42', clientSecret: SECRET });
  for (const text of [
    inspect(client),
    inspect(client, { showHidden: true, depth: Infinity, getters: true }),
    inspect(client.parties, { showHidden: true, depth: Infinity }),
    JSON.stringify(client),
    String(client),
    `${Object.getOwnPropertyNames(client).map((k) => inspect(client[k], { showHidden: true, depth: Infinity })).join()}`,
  ]) {
    assert.ok(!text.includes(SECRET), `the secret is visible in: ${text}`);
  }
  assert.equal(inspect(client), "Client { baseUrl: 'http://127.0.0.1:9', clientId: 'merchant-42' }");
  assert.deepEqual(JSON.parse(JSON.stringify(client)), { baseUrl: 'http://127.0.0.1:9', clientId: 'merchant-42' });
  assert.equal(client.clientSecret, undefined);
});

test('the secret is taken from DOLLR_CLIENT_SECRET when not passed, and not shown either', () => {
  const saved = { ...process.env };
  try {
    process.env.DOLLR_CLIENT_ID = 'env-id';
    process.env.DOLLR_CLIENT_SECRET = SECRET;
    process.env.DOLLR_BASE_URL = 'http://127.0.0.1:9';
    const client = new Client();
    assert.equal(client.clientId, 'env-id');
    assert.equal(client.baseUrl, 'http://127.0.0.1:9');
    assert.ok(!inspect(client, { showHidden: true }).includes(SECRET));
  } finally {
    for (const key of ['DOLLR_CLIENT_ID', 'DOLLR_CLIENT_SECRET', 'DOLLR_BASE_URL']) {
      if (key in saved) process.env[key] = saved[key];
      else delete process.env[key];
    }
  }
});

test('Secret prints as [REDACTED] everywhere and reveals its value only through expose()', () => {
  const secret = new Secret(SECRET);
  assert.equal(String(secret), '[REDACTED]');
  assert.equal(`${secret}`, '[REDACTED]');
  assert.equal(JSON.stringify({ secret }), '{"secret":"[REDACTED]"}');
  assert.equal(inspect(secret), 'Secret([REDACTED])');
  assert.ok(!inspect({ nested: { secret } }, { showHidden: true, depth: Infinity }).includes(SECRET));
  assert.equal(secret.expose(), SECRET);
});

test('Secret inputs work: the client secret and a payout passcode', async () => {
  await withSandbox({}, async (sandbox) => {
    const client = new Client({ baseUrl: sandbox.url, clientId: sandbox.clientId, clientSecret: new Secret(sandbox.clientSecret) });
    const outcome = await client.payout({
      phone: testNumbers.completes,
      recipientName: 'Musu Doe',
      amount: '2.00',
      currency: 'USD',
      passcode: { code: new Secret(sandbox.passcode), phone: PASSCODE_PHONE },
      ...FAST,
    });
    assert.equal(outcome.execution.status, 'COMPLETED');
  });
});

test('a refused passcode is not echoed in the error', async () => {
  await withSandbox({}, async (sandbox, client) => {
    const wrong = '918273';
    await assert.rejects(
      client.payout({ phone: testNumbers.completes, recipientName: 'Musu', amount: '2.00', currency: 'USD', passcode: { code: wrong, phone: PASSCODE_PHONE }, ...FAST }),
      (error) => {
        assert.equal(error.code, 'PermissionDenied');
        const everything = inspect(error, { showHidden: true, depth: Infinity }) + JSON.stringify(error);
        assert.ok(!everything.includes(wrong));
        return true;
      },
    );
    assert.notEqual(sandbox.passcode, wrong);
  });
});
