'use strict';
// A waited result answers `status` like the Dollr docs' status payloads (`result.status`), next to
// its discriminated `state` and the full `execution`.

const test = require('node:test');
const assert = require('node:assert/strict');
const { testNumbers } = require('dollr-native');
const { FAST, withSandbox } = require('./fixtures.js');

test('status.wait answers .status, the execution status', async () => {
  await withSandbox({ settleMs: 20 }, async (_sandbox, client) => {
    const outcome = await client.collect({ phone: testNumbers.completes, payerName: 'Wait Payer', currency: 'USD', amount: '2.50', ...FAST });
    const waited = await client.status.wait(outcome.execution.referenceId, { operation: 'COLLECTION', timeoutMs: 10_000, initialIntervalMs: 10, maxIntervalMs: 50 });
    assert.equal(waited.state, 'finished');
    assert.equal(waited.status, 'COMPLETED');
    assert.equal(waited.status, waited.execution.status);
  });
});
