'use strict';
// One client, 200 collections at once: all complete, each exactly once, on the core's runtime
// without blocking Node's event loop.

const test = require('node:test');
const assert = require('node:assert/strict');
const { testNumbers } = require('dollr-native');
const { withSandbox, FAST } = require('./fixtures.js');

test('200 concurrent collections complete, each exactly once', { timeout: 120_000 }, async () => {
  await withSandbox({ settleMs: 20 }, async (sandbox, client) => {
    // The event loop stays free while the calls run: a timer keeps ticking.
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 5);
    const started = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.collect({ phone: testNumbers.completes, payerName: `Payer ${i}`, currency: 'USD', amount: `${1 + (i % 50)}.25`, ...FAST }),
      ),
    ).finally(() => clearInterval(ticker));
    const elapsed = Date.now() - started;
    assert.equal(outcomes.length, 200);
    assert.deepEqual(new Set(outcomes.map((o) => o.execution.status)), new Set(['COMPLETED']));
    assert.equal(new Set(outcomes.map((o) => o.referenceId)).size, 200, 'one reference id per payment');
    outcomes.forEach((outcome, i) => assert.equal(outcome.totalAmount, `${1 + (i % 50)}.25`));
    const stats = await sandbox.stats();
    assert.equal(stats.executions.created, 200);
    assert.equal(stats.duplicate_payments, 0);
    assert.ok(ticks > elapsed / 50, `the event loop was blocked (${ticks} ticks in ${elapsed} ms)`);
  });
});
