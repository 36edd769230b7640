// The WebAssembly engine inside workerd: a Worker that imports `dollr-native` is bundled with the
// `workerd` condition (esbuild, as wrangler does) and run by miniflare; it takes a payment from
// the sandbox on loopback. Run by `make test-wasm` (bindings-wasm/rules.mk), which builds
// bindings-wasm/pkg and installs this folder's pinned tools first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import testing from 'dollr-native/testing';
import { bundleWorker, startWorker } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Bundles worker/<name> as `wrangler deploy` would (harness.mjs). */
const bundle = (outdir, name, conditions) => bundleWorker(join(HERE, 'worker', name), outdir, { conditions });

test('every edge condition of the package resolves to the WebAssembly engine, never the addon', async (t) => {
  const outdir = mkdtempSync(join(tmpdir(), 'dollr-conditions-'));
  t.after(() => rmSync(outdir, { recursive: true, force: true }));
  for (const condition of ['workerd', 'worker', 'deno', 'edge-light', 'browser']) {
    const bundled = readFileSync(await bundle(outdir, 'collect.mjs', [condition]), 'utf8');
    // Deno's engine links the `.wasm` Deno imports as an ES module (js/engine_deno.mjs); the
    // others instantiate the compiled module their host hands over (js/engine_edge.mjs).
    if (condition === 'deno') assert.match(bundled, /bindings-wasm\/js\/engine_deno\.mjs[\s\S]*__wbg_set_wasm\(/, condition);
    else assert.match(bundled, /bindings-wasm\/js\/engine_edge\.mjs[\s\S]*initSync\(/, condition);
    assert.doesNotMatch(bundled, /addon_file|\.node['"`]/, condition);
  }
});

test('a Worker importing dollr-native takes a payment inside workerd (the WebAssembly engine)', async (t) => {
  const outdir = mkdtempSync(join(tmpdir(), 'dollr-workerd-'));
  t.after(() => rmSync(outdir, { recursive: true, force: true }));
  const script = await bundle(outdir, 'collect.mjs');
  const bundled = readFileSync(script, 'utf8');
  // The workerd condition chose the WebAssembly engine: no napi addon loader is in the bundle.
  assert.match(bundled, /initSync/);
  assert.doesNotMatch(bundled, /dollr-native\.\$\{triple\}\.node|addon_file/);

  const sandbox = await testing.startSandbox();
  t.after(() => sandbox.stop());
  const worker = startWorker(script, outdir, sandbox);
  t.after(() => worker.dispose());

  const response = await worker.dispatchFetch('http://worker.test/');
  const text = await response.text();
  assert.equal(response.status, 200, text);
  const answer = JSON.parse(text);
  assert.equal(answer.status, 'COMPLETED');
  // 250.00 and the sandbox's fee, borne by the payer: an exact decimal string, as under Node.
  assert.equal(answer.payerAmount, '256.25');
  assert.match(answer.referenceId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  // The payment is the sandbox's own record: the Worker reached it over loopback.
  const intents = await sandbox.paymentIntents();
  const intent = intents.find((row) => row.reference_id === answer.referenceId);
  assert.ok(intent, `the sandbox has no payment intent ${answer.referenceId}`);
  assert.equal(intent.status, 'COMPLETED');
});

test("a Durable Object's storage is the journal of the Worker's payments", async (t) => {
  const outdir = mkdtempSync(join(tmpdir(), 'dollr-workerd-'));
  t.after(() => rmSync(outdir, { recursive: true, force: true }));
  const script = await bundle(outdir, 'durable.mjs');
  const sandbox = await testing.startSandbox();
  t.after(() => sandbox.stop());
  const worker = startWorker(script, outdir, sandbox, { durableObjects: { PAYMENTS: 'Payments' } });
  t.after(() => worker.dispose());

  const paid = await worker.dispatchFetch('http://worker.test/pay');
  const answer = JSON.parse(await paid.text());
  assert.equal(answer.status, 'COMPLETED');
  const journal = await (await worker.dispatchFetch('http://worker.test/journal')).json();
  const intent = JSON.parse(journal[`dollr-intent:${answer.referenceId}`]);
  assert.equal(intent.reference_id, answer.referenceId);
  assert.equal(intent.state, 'COMPLETED');
  assert.equal(intent.last_execution.status, 'COMPLETED');
  assert.doesNotMatch(JSON.stringify(journal), new RegExp(sandbox.clientSecret), 'no secret in the journal');
});
