// The installed dollr-native's WebAssembly engine under Node (DOLLR_NATIVE_ENGINE=wasm, set by
// check.mjs): no addon is loaded, the engine comes from the installed package, and a collect runs
// to COMPLETED against the companion's sandbox. Prints one JSON line.
const assert = require('node:assert/strict');
const { sep } = require('node:path');
const { Client, testNumbers } = require('dollr-native');
const { startSandbox } = require('dollr-native/testing');

async function main() {
  const loaded = Object.keys(require.cache);
  assert.deepEqual(loaded.filter((file) => file.endsWith('.node')), [], 'no native addon is loaded');
  const engine = loaded.filter((file) => file.endsWith(`${sep}dollr_wasm.cjs`));
  assert.equal(engine.length, 1, `one wasm engine is loaded: ${engine}`);
  assert.ok(engine[0].includes(`${sep}node_modules${sep}dollr-native${sep}bindings-wasm${sep}pkg${sep}`), engine[0]);

  const sandbox = await startSandbox({ settleMs: 20 });
  try {
    const client = new Client({ baseUrl: sandbox.url, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret });
    const { collectChecked } = await import('./scenario.mjs');
    const collected = await collectChecked(client, testNumbers);
    const stats = await sandbox.stats();
    assert.equal(stats.executions.by_reference_id[collected.referenceId]?.status, 'COMPLETED');
    assert.equal(stats.duplicate_payments, 0);
    console.log(JSON.stringify({ collected: collected.referenceId, engine: engine[0] }));
  } finally {
    await sandbox.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
