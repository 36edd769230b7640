// The installed packages at work, as a user's test would use them: the testing companion starts
// its own `dollr` binary, and a collect and a payout run to COMPLETED through the production
// addon of the platform package. Shared by consumer.cjs (require) and consumer.mjs (import),
// which hand over the modules they loaded; `collectChecked` by the WebAssembly engine's checks too
// (wasm_engine.cjs) and the other runtimes' (runtime_collect.mjs).
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { sep } from 'node:path';

const FAST = { pollIntervalMs: 10, maxPollIntervalMs: 100, waitTimeoutMs: 60_000 };

/** A collect of 25.00 run to COMPLETED on `client`, whichever engine is under it. */
export async function collectChecked(client, testNumbers) {
  const collected = await client.collect({ phone: testNumbers.completes, payerName: 'Amara Kamara', currency: 'USD', amount: '25.00', ...FAST });
  assert.equal(collected.execution.status, 'COMPLETED');
  assert.equal(collected.execution.payeeAmount, '25.00');
  return collected;
}

/**
 * @param {{ startSandbox: Function, testNumbers: Record<string, string>, loaded: string[] }} modules
 *   `loaded`: the files in the CommonJS module cache (where the addon came from)
 */
export async function collectAndPayout({ startSandbox, testNumbers, loaded }) {
  const addons = loaded.filter((file) => file.endsWith('.node'));
  assert.equal(addons.length, 1, `one addon is loaded: ${addons}`);
  assert.ok(addons[0].includes(`${sep}node_modules${sep}dollr-native-linux-x64-gnu${sep}`), `the addon comes from the platform package: ${addons[0]}`);

  const sandbox = await startSandbox({ settleMs: 20 });
  try {
    const binary = readlinkSync(`/proc/${sandbox.pid}/exe`);
    assert.ok(binary.endsWith(`${sep}node_modules${sep}dollr-native-testing-linux-x64-gnu${sep}dollr`), `the sandbox is the companion's binary: ${binary}`);

    const client = sandbox.client();
    const collected = await collectChecked(client, testNumbers);
    const paid = await client.payout({
      phone: testNumbers.completes,
      recipientName: 'Musu Doe',
      currency: 'USD',
      amount: '10.00',
      passcode: { code: sandbox.passcode, phone: '231779999999' },
      ...FAST,
    });
    assert.equal(paid.execution.status, 'COMPLETED');

    // The sandbox's own account of what happened: two executions, both COMPLETED, nothing twice.
    const stats = await sandbox.stats();
    assert.equal(stats.executions.created, 2);
    assert.equal(stats.executions.by_reference_id[collected.referenceId]?.status, 'COMPLETED');
    assert.equal(stats.executions.by_reference_id[paid.referenceId]?.status, 'COMPLETED');
    assert.equal(stats.duplicate_payments, 0);
    return { collected: collected.referenceId, paid: paid.referenceId, addon: addons[0], sandbox: binary };
  } finally {
    await sandbox.stop();
  }
}
