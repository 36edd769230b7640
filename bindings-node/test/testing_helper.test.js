'use strict';
// dollr-native/testing: the in-process sandbox and its controls.

const test = require('node:test');
const assert = require('node:assert/strict');
const { testNumbers, ConflictError, NotFoundError, ValidationError, AuthenticationError } = require('dollr-native');
const { startSandbox } = require('dollr-native/testing');
const { FAST } = require('./fixtures.js');

test('startSandbox gives a URL, credentials and a working client', async () => {
  const sandbox = startSandbox();
  try {
    assert.match(sandbox.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(sandbox.clientId, 'dollr_test_client');
    assert.equal(typeof sandbox.clientSecret, 'string');
    assert.equal(sandbox.passcode, '123456');
    assert.equal(typeof sandbox.seed, 'number');
    const tiers = await sandbox.client().fees.tiers();
    assert.ok(tiers.length > 0);
    const health = await fetch(`${sandbox.url}/_sandbox/health`);
    assert.deepEqual(await health.json(), { status: 'ok' });
  } finally {
    sandbox.stop();
  }
  sandbox.stop(); // idempotent
});

test('advance moves an execution on demand; wrong uses are typed errors', async () => {
  const sandbox = startSandbox({ settleMs: 600_000 });
  try {
    const client = sandbox.client();
    const outcome = await client.collect({ phone: testNumbers.completes, payerName: 'A', currency: 'USD', amount: '2.00', ...FAST, waitTimeoutMs: 50 });
    assert.equal(outcome.settled, false, 'nothing settles on its own in ten minutes');
    assert.equal(sandbox.advance(outcome.referenceId), 'PROCESSING');
    assert.equal(sandbox.advance(outcome.referenceId, { toFinal: true }), 'COMPLETED');
    assert.equal((await client.status.collection(outcome.referenceId)).status, 'COMPLETED');
    assert.throws(() => sandbox.advance(outcome.referenceId), ConflictError);
    assert.throws(() => sandbox.advance('00000000-0000-4000-8000-000000000000'), NotFoundError);
    assert.ok(sandbox.events().some((e) => e.reference_id === outcome.referenceId && e.cause === 'advance'));
  } finally {
    sandbox.stop();
  }
});

test('faults, stats, wallets, config, clock, tokens and reset', async () => {
  const sandbox = startSandbox({ wallets: { USD: '5.00' } });
  try {
    const client = sandbox.client({ maxRetries: 0 });
    assert.equal(sandbox.wallets().find((w) => w.currency === 'USD').balance, '5.00');
    sandbox.setWalletBalance('USD', '1234.56');
    assert.equal(sandbox.wallets().find((w) => w.currency === 'USD').balance, '1234.56');

    sandbox.setFaults({ rules: [{ kind: 'error', status: 503, count: 1 }] });
    assert.equal(sandbox.faults().rules.length, 1);
    await assert.rejects(client.fees.tiers(), (error) => error.code === 'Server');
    assert.equal(sandbox.faults().rules.length, 0, 'the counted rule was used up');
    assert.equal(sandbox.stats().faults.error, 1);
    sandbox.addFault({ kind: 'rate_limit', retry_after: 0, count: 5 });
    sandbox.clearFaults();
    assert.deepEqual(sandbox.faults().rules, []);
    assert.throws(() => sandbox.setFaults({ rules: [{ kind: 'explode' }] }), ValidationError);

    sandbox.updateConfig({ verified: false });
    await assert.rejects(client.hostedCheckout({ phone: testNumbers.completes, payerName: 'A', currency: 'USD', amount: '1.00' }), (e) => e.code === 'PermissionDenied');
    sandbox.updateConfig({ verified: true });

    sandbox.advanceClock(60_000);
    assert.ok(sandbox.revokeTokens() >= 1);
    await assert.rejects(sandbox.client({ clientSecret: 'wrong' }).fees.tiers(), AuthenticationError);

    const before = sandbox.stats().requests.total;
    assert.ok(before > 0);
    sandbox.reset();
    assert.equal(sandbox.stats().requests.total, 0);
    assert.equal(sandbox.wallets().find((w) => w.currency === 'USD').balance, '5.00', 'back to the opening balance');
    assert.ok((await client.fees.tiers()).length > 0, 'the client re-authenticates after the revocation');
  } finally {
    sandbox.stop();
  }
});

test('bad options are refused by name', () => {
  assert.throws(() => startSandbox({ settleMsec: 5 }), (e) => e instanceof ValidationError && /`settleMsec`/.test(e.message) && !/settle_msec/.test(e.message));
  assert.throws(() => startSandbox({ wallets: { EUR: '1.00' } }), (e) => e instanceof ValidationError && /EUR/.test(e.message));
});
