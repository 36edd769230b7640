'use strict';
// A call's events reach its `onEvent` before its result: when the Promise resolves, every event
// of the call has been delivered. (Events and results travel on two different queues into the
// JS thread; without the addon's end-of-events marker a caller could see the result first.)

const test = require('node:test');
const assert = require('node:assert/strict');
const { testNumbers } = require('dollr-native');
const { withSandbox, FAST } = require('./fixtures.js');

test('every event of a call is delivered before its result, one at a time and many at once', async () => {
  await withSandbox({}, async (sandbox, client) => {
    const paid = await client.collect({ phone: testNumbers.completes, payerName: 'Amara', currency: 'USD', amount: '5.00', ...FAST });
    assert.equal(paid.execution.status, 'COMPLETED');
    // A wait on a settled execution by a client that has not seen it yet: its one transition
    // event, then its result, at once — the closest race there is between the two.
    const waitOnce = async () => {
      const seen = [];
      const waited = await sandbox.client().status.wait(paid.referenceId, { operation: 'COLLECTION', timeoutMs: 10_000, initialIntervalMs: 10, onEvent: (event) => seen.push(event) });
      assert.equal(waited.execution.status, 'COMPLETED');
      assert.deepEqual(seen.map((event) => [event.event, event.to]), [['transition', 'COMPLETED']], 'the event arrived before the result');
    };
    for (let i = 0; i < 100; i += 1) await waitOnce();
    for (let round = 0; round < 5; round += 1) await Promise.all(Array.from({ length: 20 }, waitOnce));

    // A flow: its last event (the final status) is there when it returns.
    const events = [];
    const outcome = await client.collect({ phone: testNumbers.completes, payerName: 'Amara', currency: 'USD', amount: '6.00', ...FAST, onEvent: (event) => events.push(event) });
    assert.equal(outcome.execution.status, 'COMPLETED');
    const statuses = events.filter((event) => event.event === 'status_changed');
    assert.equal(statuses.at(-1)?.transition.to, 'COMPLETED', JSON.stringify(events.map((event) => event.event)));
  });
});
