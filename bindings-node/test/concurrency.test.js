'use strict';
// One client, 200 collections at once: all complete, each exactly once, on the core's runtime
// without blocking Node's event loop.

const test = require('node:test');
const assert = require('node:assert/strict');
const { testNumbers } = require('dollr-native');
const { withSandbox, FAST } = require('./fixtures.js');

test('200 concurrent collections complete, each exactly once', { timeout: 120_000 }, async () => {
  await withSandbox({ settleMs: 20 }, async (sandbox, client) => {
    // The event loop stays free while the calls wait: a timer due at once fires before any
    // collection settles. Each needs the sandbox's 20 ms settle time, so only calls that held the
    // thread while they waited (settling their Promises before it could run timers) would let an
    // outcome come first.
    let timerFired = false;
    let settledBeforeTimer = 0;
    const calls = Array.from({ length: 200 }, (_, i) =>
      client
        .collect({ phone: testNumbers.completes, payerName: `Payer ${i}`, currency: 'USD', amount: `${1 + (i % 50)}.25`, ...FAST })
        .then((outcome) => {
          if (!timerFired) settledBeforeTimer += 1;
          return outcome;
        }),
    );
    setTimeout(() => {
      timerFired = true;
    }, 0);
    const outcomes = await Promise.all(calls);
    assert.equal(outcomes.length, 200);
    assert.deepEqual(new Set(outcomes.map((o) => o.execution.status)), new Set(['COMPLETED']));
    assert.equal(new Set(outcomes.map((o) => o.referenceId)).size, 200, 'one reference id per payment');
    outcomes.forEach((outcome, i) => assert.equal(outcome.totalAmount, `${1 + (i % 50)}.25`));
    const stats = await sandbox.stats();
    assert.equal(stats.executions.created, 200);
    assert.equal(stats.duplicate_payments, 0);
    assert.ok(timerFired);
    assert.equal(settledBeforeTimer, 0, 'collections settled before the event loop ran a timer due at once');
  });
});
