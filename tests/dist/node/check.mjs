#!/usr/bin/env node
// `make check-dist-node`: the npm tarballs of `make dist` installed as a user installs them, on a
// machine without Rust and without a registry (run through packaging/without_rust.py).
//
//   node tests/dist/node/check.mjs DIST_DIR
//
// 1. The published dollr-native holds no addon, no tests and no Rust sources.
// 2. A project installs the four tarballs with `npm install --offline` and an empty npm cache;
//    a CommonJS and an ES module program each run a collect and a payout to COMPLETED against the
//    sandbox that dollr-native-testing brings (the sandbox's counters agree), and `npx dollr
//    sandbox` starts.
// 3. A project with only dollr-native (and its platform package): the SDK loads, and the sandbox
//    is nowhere — `dollr-native/testing` names the install command, the addon has no
//    `dollr_sandbox`.
// 4. The WebAssembly engine shipped in dollr-native: under Node (DOLLR_NATIVE_ENGINE=wasm) a
//    collect runs on it with no addon loaded; and a Worker importing the installed package,
//    bundled with the `workerd` condition (esbuild, as wrangler does), takes a payment inside
//    workerd (miniflare) from the companion's sandbox; and Deno, importing the installed package
//    (the `deno` condition) with no permission but the network, takes one too.
// 5. Bun takes one through the platform package's napi addon (Bun takes Node's conditions).
// esbuild, miniflare, Deno and Bun are the checkout's pinned test tools (bindings-wasm/test),
// already installed: nothing is fetched.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorker, startWorker } from '../../../bindings-wasm/test/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const dist = resolve(process.argv[2] ?? join(root, 'dist'));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
/** Where `npx dollr sandbox` must say where it listens, on a busy machine too. */
const START_DEADLINE_MS = 60_000;

const started = Date.now();
const timings = [];
function timed(what, step) {
  const from = Date.now();
  const result = step();
  const record = () => timings.push(`${what}: ${((Date.now() - from) / 1000).toFixed(1)} s`);
  if (result instanceof Promise) return result.finally(record);
  record();
  return result;
}

const tarball = (name) => {
  const file = join(dist, `${name}-${version}.tgz`);
  assert.ok(existsSync(file), `${file} is missing: run \`make dist-node\` first`);
  return file;
};
const MAIN = tarball('dollr-native');
const ADDON = tarball('dollr-native-linux-x64-gnu');
const TESTING = tarball('dollr-native-testing');
const SANDBOX = tarball('dollr-native-testing-linux-x64-gnu');

const scratch = mkdtempSync(join(tmpdir(), 'dollr-dist-node-'));

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** A fresh project with `tarballs` installed offline from an empty cache. */
function project(name, tarballs) {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `dollr-dist-check-${name}`, version: '0.0.0', private: true }));
  const cache = join(scratch, `${name}-npm-cache`);
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', '--cache', cache, ...tarballs], dir);
  return dir;
}

function program(dir, file, env = {}) {
  copyFileSync(join(here, file), join(dir, file));
  const output = execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } }).trim();
  const last = output.split('\n').at(-1);
  console.log(`  ${file}: ${last}`);
  return JSON.parse(last);
}

/** A Worker importing the installed dollr-native (the README's Edge runtimes example) bundled with
 * the `workerd` condition from `dir`'s node_modules and run inside workerd against the sandbox of
 * the installed companion. */
async function workerInWorkerd(dir) {
  const entry = join(dir, 'worker.mjs');
  copyFileSync(join(root, 'bindings-wasm', 'test', 'worker', 'collect.mjs'), entry);
  const outdir = mkdtempSync(join(scratch, 'worker-'));
  const script = await bundleWorker(entry, outdir, { resolveFrom: dir });
  const bundled = readFileSync(script, 'utf8');
  assert.match(bundled, /node_modules\/dollr-native\/bindings-wasm\/js\/engine_edge\.mjs/, 'the engine comes from the installed package');
  assert.doesNotMatch(bundled, /addon_file/, 'no addon loader in a Worker');
  const { startSandbox } = createRequire(join(dir, 'package.json'))('dollr-native/testing');
  const sandbox = await startSandbox({ settleMs: 20 });
  const worker = startWorker(script, outdir, sandbox);
  try {
    const response = await worker.dispatchFetch('http://worker.test/');
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const answer = JSON.parse(text);
    assert.equal(answer.status, 'COMPLETED');
    const stats = await sandbox.stats();
    assert.equal(stats.executions.by_reference_id[answer.referenceId]?.status, 'COMPLETED');
    console.log(`  Worker in workerd (installed package, workerd condition): ${answer.referenceId} COMPLETED`);
  } finally {
    await worker.dispose();
    await sandbox.stop();
  }
}

/** The installed dollr-native on another runtime (`runtime_collect.mjs`) against the sandbox of
 * the installed companion: `runtime` is `deno` (the `deno` condition's engine, `--allow-net`
 * only) or `bun` (Node's conditions: the platform package's addon). */
async function collectOn(runtime, dir) {
  const binary = join(root, 'bindings-wasm', 'test', 'node_modules', '.bin', runtime);
  copyFileSync(join(here, 'runtime_collect.mjs'), join(dir, 'runtime_collect.mjs'));
  const { startSandbox } = createRequire(join(dir, 'package.json'))('dollr-native/testing');
  const sandbox = await startSandbox({ settleMs: 20 });
  try {
    const args = runtime === 'deno' ? ['run', '--allow-net', 'runtime_collect.mjs'] : ['runtime_collect.mjs'];
    const output = await new Promise((done, fail) => {
      const child = spawn(binary, [...args, sandbox.url, sandbox.clientId, sandbox.clientSecret], {
        cwd: dir,
        // The runtimes' own caches in the scratch folder: nothing of the user's is read or written.
        env: { ...process.env, DENO_DIR: join(scratch, 'deno-dir'), BUN_INSTALL_CACHE_DIR: join(scratch, 'bun-cache'), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
      child.on('error', fail);
      child.on('close', (status) => (status === 0 ? done(out) : fail(new Error(`${runtime} exited with ${status}: ${out}`))));
    });
    const answer = JSON.parse(output.trim().split('\n').at(-1));
    assert.equal(answer.refusedTyped, true, 'a refusal is a ValidationError naming `fullname`');
    const stats = await sandbox.stats();
    assert.equal(stats.executions.by_reference_id[answer.referenceId]?.status, 'COMPLETED');
    console.log(`  ${runtime} (installed package${runtime === 'deno' ? ', deno condition, --allow-net only' : ', napi addon'}): ${answer.referenceId} COMPLETED`);
  } finally {
    await sandbox.stop();
  }
}

/** Runs `npx dollr sandbox` in `dir`, waits for its first line, asks it for its health, stops it. */
async function npxSandbox(dir) {
  const child = spawn('npx', ['--offline', 'dollr', 'sandbox', '--port', '0', '--exit-when-stdin-closes'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((done) => child.on('close', (status, signal) => done({ status, signal })));
  try {
    const url = await new Promise((done, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`npx dollr sandbox printed no address within ${START_DEADLINE_MS / 1000} s`)), START_DEADLINE_MS);
      child.stdout.setEncoding('utf8').on('data', (chunk) => {
        out += chunk;
        const line = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
        if (line) {
          clearTimeout(timer);
          done(line[1]);
        } else if (out.includes('\n')) {
          clearTimeout(timer);
          fail(new Error(`npx dollr sandbox: unexpected first line ${JSON.stringify(out.split('\n')[0])}`));
        }
      });
      exited.then(({ status, signal }) => fail(new Error(`npx dollr sandbox ended (${signal ?? status}) before it listened`)));
    });
    const health = await (await fetch(`${url}/_sandbox/health`)).json();
    assert.deepEqual(health, { status: 'ok' });
    console.log(`  npx dollr sandbox: listening on ${url}, healthy`);
  } finally {
    child.stdin.end(); // --exit-when-stdin-closes: through the launcher to the binary
  }
  const { status, signal } = await exited;
  assert.equal(signal, null, `npx dollr sandbox was killed by ${signal}`);
  assert.equal(status, 0, 'npx dollr sandbox exits cleanly when its stdin closes');
}

try {
  timed('published dollr-native has no addon, tests or Rust', () => {
    const files = run('tar', ['-tzf', MAIN], scratch).split('\n').filter(Boolean);
    assert.ok(files.includes('package/bindings-node/lib/native.js'), `unexpected listing: ${files.join(', ')}`);
    for (const engine of ['js/index.mjs', 'js/engine_edge.mjs', 'js/engine_deno.mjs', 'pkg/dollr_wasm_bg.wasm', 'pkg/dollr_wasm.mjs', 'pkg/dollr_wasm.cjs', 'pkg/dollr_wasm_bg.js']) {
      assert.ok(files.includes(`package/bindings-wasm/${engine}`), `the WebAssembly engine's ${engine} is in dollr-native`);
    }
    const forbidden = files.filter((file) => /\.node$|(^|\/)test\/|\.rs$|Cargo\.(toml|lock)$|\/debug\//.test(file));
    assert.deepEqual(forbidden, [], 'dollr-native must ship no addon, tests or Rust sources');
    const manifest = JSON.parse(run('tar', ['-xzOf', MAIN, 'package/package.json'], scratch));
    assert.deepEqual(manifest.optionalDependencies, { 'dollr-native-linux-x64-gnu': version });
    console.log(`  dollr-native: ${files.length} files, none an addon, a test or Rust`);
  });

  const full = timed('npm install --offline of the four tarballs', () => project('full', [MAIN, ADDON, TESTING, SANDBOX]));
  copyFileSync(join(here, 'scenario.mjs'), join(full, 'scenario.mjs'));
  const cjs = timed('CommonJS program: collect + payout', () => program(full, 'consumer.cjs'));
  const esm = timed('ES module program: collect + payout', () => program(full, 'consumer.mjs'));
  for (const result of [cjs, esm]) assert.ok(result.collected && result.paid);
  await timed('npx dollr sandbox', () => npxSandbox(full));
  const wasm = timed('the wasm engine under Node: collect', () => program(full, 'wasm_engine.cjs', { DOLLR_NATIVE_ENGINE: 'wasm' }));
  assert.ok(wasm.collected);
  await timed('a Worker inside workerd', () => workerInWorkerd(full));
  await timed('Deno: collect', () => collectOn('deno', full));
  await timed('Bun: collect', () => collectOn('bun', full));

  const production = timed('npm install --offline of dollr-native alone', () => project('production', [MAIN, ADDON]));
  timed('production-only program', () => program(production, 'production_only.cjs'));
  assert.ok(!existsSync(join(production, 'node_modules', 'dollr-native-testing')), 'the companion was not installed with dollr-native');
  assert.ok(!existsSync(join(production, 'node_modules', '.bin', 'dollr')), 'no `dollr` without the companion');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

for (const line of timings) console.log(`  ${line}`);
console.log(`check-dist-node: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
