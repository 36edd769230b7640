'use strict';
// Faults and reconcile through Node's own API: collections and payouts whose execution answers
// are lost after the sandbox committed them (and whose status cannot be learned either) end in
// AmbiguousExecutionError; a new client on the same SQLite journal — the process restarted —
// reconciles them. Every entry is resolved by its own reference id, and the sandbox's own
// counters show each payment executed exactly once.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { AmbiguousExecutionError, testNumbers } = require('dollr-native');
const { startSandbox } = require('dollr-native/testing');
const { FAST, PASSCODE_PHONE, eventually } = require('./fixtures.js');

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// Two POSTs and two status lookups per call: enough to prove the retries, quick to give up.
const POLICY = { initialBackoffMs: 10, maxBackoffMs: 50, maxAttempts: 2, maxStatusChecks: 2 };

test('lost answers, a restart, then reconcile: every journal entry resolved, no payment twice', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dollr-node-reconcile-'));
  const journal = path.join(dir, 'journal.sqlite');
  const sandbox = await startSandbox({ settleMs: 20 });
  try {
    // Every execution POST is committed and its answer dropped; every status lookup fails: the
    // SDK cannot learn the outcome, so each call must end ambiguous, never paying again.
    await sandbox.setFaults({
      rules: [
        { kind: 'drop_response', scope: 'executions' },
        { kind: 'error', status: 503, scope: 'status' },
      ],
    });
    const before = sandbox.client({ journal, maxRetries: 0 });
    const flows = { ...FAST, executePolicy: POLICY };
    const calls = [
      ['COLLECTION', before.collect({ phone: testNumbers.completes, payerName: 'Amara Kamara', currency: 'USD', amount: '5.00', ...flows })],
      ['COLLECTION', before.collect({ phone: testNumbers.completes, payerName: 'Musu Doe', currency: 'USD', amount: '7.25', ...flows })],
      ['COLLECTION', before.collect({ phone: testNumbers.completesMtnRw, payerName: 'Aline', currency: 'RWF', amount: '5000', ...flows })],
      ['PAYOUT', before.payout({ phone: testNumbers.completes, recipientName: 'Musu Doe', amount: '2.00', currency: 'USD', passcode: { code: sandbox.passcode, phone: PASSCODE_PHONE }, ...flows })],
      ['PAYOUT', before.payout({ phone: testNumbers.completes, recipientName: 'Kemah Sirleaf', amount: '3.00', currency: 'USD', passcode: { code: sandbox.passcode, phone: PASSCODE_PHONE }, ...flows })],
    ];
    const settled = await Promise.allSettled(calls.map(([, call]) => call));
    const expected = new Map();
    for (const [index, [operation]] of calls.entries()) {
      await assert.rejects(Promise.resolve(settled[index]).then((s) => (s.status === 'rejected' ? Promise.reject(s.reason) : s.value)), (error) => {
        assert.ok(error instanceof AmbiguousExecutionError, `expected AmbiguousExecution, got ${error.code}: ${error.message}`);
        assert.match(error.referenceId, UUID_V4);
        expected.set(error.referenceId, operation);
        return true;
      });
    }
    assert.equal(expected.size, calls.length, 'one reference id per call');

    const faulted = await sandbox.stats();
    assert.equal(faulted.executions.created, calls.length, 'each execution landed once, though no answer came back');
    assert.ok(faulted.faults.drop_response >= calls.length, 'answers were lost');
    assert.equal(faulted.duplicate_payments, 0);

    // The API recovers; each execution settles on the sandbox by itself.
    await sandbox.clearFaults();
    await eventually(
      async () => {
        const { executions } = await sandbox.stats();
        return [...expected.keys()].every((id) => executions.by_reference_id[id]?.status === 'COMPLETED');
      },
      { what: 'every execution to complete on the sandbox' },
    );

    // A restart: a new client, the same journal file.
    const after = sandbox.client({ journal, maxRetries: 0 });
    const report = await after.reconcile({ executePolicy: POLICY });
    assert.equal(report.entries.length, calls.length, JSON.stringify(report.entries));
    assert.deepEqual(new Set(report.entries.map((entry) => entry.referenceId)), new Set(expected.keys()));
    for (const entry of report.entries) {
      assert.equal(entry.outcome, 'completed', JSON.stringify(entry));
      assert.equal(entry.operation, expected.get(entry.referenceId));
      assert.equal(entry.execution.referenceId, entry.referenceId);
      assert.equal(entry.execution.status, 'COMPLETED');
      assert.equal(entry.error, undefined);
    }
    assert.deepEqual(
      { completed: report.completed, failed: report.failed, stillProcessing: report.stillProcessing, notSubmitted: report.notSubmitted, resubmitted: report.resubmitted, unreachable: report.unreachable },
      { completed: calls.length, failed: 0, stillProcessing: 0, notSubmitted: 0, resubmitted: 0, unreachable: 0 },
    );

    // Every entry is resolved in the journal: reconciling again finds nothing.
    const again = await sandbox.client({ journal, maxRetries: 0 }).reconcile();
    assert.deepEqual(again.entries, []);
    assert.equal(again.completed, 0);

    // Nothing was paid twice, and reconcile re-sent nothing.
    const stats = await sandbox.stats();
    assert.equal(stats.duplicate_payments, 0);
    assert.equal(stats.executions.created, calls.length);
    assert.equal(stats.executions.posts, faulted.executions.posts, 'reconcile looked the executions up; it POSTed none');
    for (const id of expected.keys()) assert.equal(stats.executions.by_reference_id[id].created, true);
  } finally {
    await sandbox.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
