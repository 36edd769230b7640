'use strict';
// Bulk payouts through Node's own API: one result per row (camelCase, exact decimals), progress
// events through `onEvent` before the Promise settles, and a second run on the same SQLite journal
// that reports every row from the journal without sending one execution (the sandbox says so).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ValidationError, testNumbers } = require('dollr-native');
const { startSandbox } = require('dollr-native/testing');
const { FAST, PASSCODE_PHONE } = require('./fixtures.js');

const rows = (n) =>
  Array.from({ length: n }, (_, i) => ({
    phone: i % 4 === 3 ? testNumbers.declines : testNumbers.completes,
    amount: '2.50',
    currency: 'USD',
    name: `Agent ${i}`,
    rowId: `agent-${i}`,
  }));

test('a batch reports every row with progress, and a second run resumes from the journal', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dollr-node-bulk-'));
  const journal = path.join(dir, 'journal.sqlite');
  const sandbox = await startSandbox({ settleMs: 5 });
  try {
    const passcode = { code: sandbox.passcode, phone: PASSCODE_PHONE };
    const events = [];
    const report = await sandbox.client({ journal }).bulkPayout({
      rows: rows(8),
      passcode,
      batchId: 'node-batch-1',
      concurrency: 4,
      ...FAST,
      onEvent: (event) => events.push(event),
    });
    assert.equal(report.batchId, 'node-batch-1');
    assert.deepEqual(
      report.rows.map((r) => r.status),
      rows(8).map((_, i) => (i % 4 === 3 ? 'FAILED' : 'COMPLETED')),
    );
    assert.equal(report.completed, 6);
    assert.equal(String(report.totals[0].paid), '15.00');
    assert.equal(events[0].event, 'bulk_started');
    const finished = events.filter((e) => e.event === 'bulk_row_finished');
    assert.equal(finished.length, 8, 'every row finished before the Promise settled');
    assert.equal(events.filter((e) => e.event === 'bulk_progress').at(-1).progress.done, 8);
    const stats = await sandbox.stats();
    assert.equal(stats.executions.created, 8);
    for (const row of report.rows) {
      assert.equal(stats.executions.by_reference_id[row.referenceId].status, row.status);
    }

    const posts = stats.executions.posts;
    const again = await sandbox.client({ journal }).bulkPayout({ rows: rows(8), passcode, batchId: 'node-batch-1', ...FAST });
    assert.equal(again.resumed, 8);
    assert.deepEqual(again.rows.map((r) => r.referenceId), report.rows.map((r) => r.referenceId));
    assert.equal((await sandbox.stats()).executions.posts, posts, 'nothing sent again');

    const bad = rows(2);
    bad[1].phone = '12';
    await assert.rejects(
      sandbox.client({ journal }).bulkPayout({ rows: bad, passcode, ...FAST }),
      (error) => error instanceof ValidationError && error.details.some((d) => d.field === 'rows.1.phone'),
    );
  } finally {
    await sandbox.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
