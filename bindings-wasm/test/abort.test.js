'use strict';
// What the JS layer does when the WebAssembly engine aborts: a Rust panic traps the module
// (wasm32 cannot unwind), which must not be used again (bindings-wasm/src/abort.rs,
// bindings-node/lib/engine_abort.js). The call it happened in and every call still waiting reject
// with an `InternalError` instead of a `RuntimeError` or never; every later call is refused
// before it enters the module. An aborted engine stays aborted for its process, so each case runs
// in a Node process of its own, on the debug engine (`_panicForTests` exists only there).

const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ENGINE = path.join(__dirname, '..', 'pkg', 'dollr_wasm.cjs');
// Resolved here, where the test files resolve the package, for the cases' processes.
const PACKAGE = require.resolve('dollr-native');
const RUNTIME = require.resolve('dollr-native/internal/runtime');

/** A loopback server that accepts connections and never answers; counts them. */
async function silentServer(t) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    server.connections += 1;
  });
  server.connections = 0;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return server;
}

/**
 * Runs `body` (an async function's source, given `dollr`, `engine`, `url`, `describe`, `host`,
 * `runtime`) in a Node process of its own; its returned JSON.
 */
async function inOwnProcess(body, url) {
  const script = `
    const dollr = require(${JSON.stringify(PACKAGE)});
    const runtime = require(${JSON.stringify(RUNTIME)});
    const engine = require(${JSON.stringify(ENGINE)});
    const url = ${JSON.stringify(url)};
    const describe = (e) => ({ name: e?.constructor?.name, code: e?.code, message: String(e?.message) });
    const host = [];
    process.on('uncaughtException', (e) => host.push(e?.constructor?.name));
    process.on('unhandledRejection', (e) => host.push(e?.constructor?.name));
    (${body})(dollr, engine, url, describe, host, runtime).then(
      (out) => { process.stdout.write(JSON.stringify(out)); process.exit(0); },
      (e) => { process.stderr.write(String(e?.stack ?? e)); process.exit(1); },
    );`;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: __dirname,
    env: { ...process.env, DOLLR_NATIVE_ENGINE: 'wasm' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `the case's process failed: ${stderr}`);
  return JSON.parse(stdout);
}

const CREDENTIALS = "clientId: 'dollr_test_client', clientSecret: 'dollr_test_secret'";

test('an abort inside a call is that call\'s InternalError, and later calls are refused without entering the engine', async (t) => {
  const server = await silentServer(t);
  const url = `http://127.0.0.1:${server.address().port}`;
  const out = await inOwnProcess(
    `async (dollr, engine, url, describe, host, runtime) => {
      if (engine._isDebugBuild() !== true) throw new Error('these cases need the debug engine');
      const client = new dollr.Client({ baseUrl: url, ${CREDENTIALS} });
      // The JS layer's one call path, over a native call that panics.
      const call = runtime.makeCaller({ call: () => engine._panicForTests('now') }, { models: {}, events: {} });
      const out = {};
      await call({ name: 'panics', positional: [], byJs: {} }, [], undefined).then(
        () => (out.first = 'resolved'),
        (e) => (out.first = describe(e)),
      );
      await client.status.collection('4b0c8f1e-6f3a-4c59-9a51-0d5c4b3e2a10').then(
        () => (out.later = 'resolved'),
        (e) => (out.later = { ...describe(e), isInternal: e instanceof dollr.InternalError }),
      );
      try {
        new dollr.Client({ baseUrl: url, ${CREDENTIALS} });
        out.construct = 'built';
      } catch (e) {
        out.construct = describe(e);
      }
      try {
        out.baseUrl = client.baseUrl;
      } catch (e) {
        out.baseUrl = describe(e);
      }
      return out;
    }`,
    url,
  );
  for (const refused of [out.first, out.later, out.construct, out.baseUrl]) {
    assert.equal(refused.name, 'InternalError', JSON.stringify(out));
    assert.equal(refused.code, 'Internal');
    assert.match(refused.message, /WebAssembly engine hit an internal bug \(a Rust panic: a panic the tests asked for\) and stopped/);
  }
  assert.equal(out.later.isInternal, true);
  assert.equal(server.connections, 0, 'nothing reached the network after the abort');
});

test('a call waiting when the engine aborts rejects with the InternalError instead of never settling', async () => {
  const out = await inOwnProcess(
    `async (dollr, engine, url, describe, host) => {
      // A server of this process that accepts and never answers, so the call is seen waiting on it.
      const net = require('node:net');
      let connections = 0;
      const server = net.createServer(() => (connections += 1));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = new dollr.Client({
        baseUrl: 'http://127.0.0.1:' + server.address().port,
        ${CREDENTIALS},
        timeoutMs: 600000,
      });
      let settled;
      client.status.collection('9d2e7c44-1b8f-4f0e-a3c6-5e8b7d9f1a22').then(
        () => (settled = 'resolved'),
        (e) => (settled = { ...describe(e), isInternal: e instanceof dollr.InternalError }),
      );
      const until = async (done) => {
        const deadline = Date.now() + 30000;
        while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      };
      await until(() => connections > 0);
      const waitingOnTheServer = connections > 0 && settled === undefined;
      // Its Promise never settles: the panic traps the host's turn that polls it.
      engine._panicForTests('later');
      await until(() => settled !== undefined);
      const later = await client.status.collection('c1f5a9b3-2d7e-4a68-b4f0-7e3d6c8a9b51').then(() => 'resolved', describe);
      server.close();
      // \`host\`: what the host itself reported of the trap.
      return { waitingOnTheServer, settled: settled ?? 'never', later, host };
    }`,
    '',
  );
  assert.equal(out.waitingOnTheServer, true, 'the call was waiting on the server when the engine aborted');
  assert.equal(out.settled.name, 'InternalError', JSON.stringify(out));
  assert.equal(out.settled.isInternal, true);
  assert.match(out.settled.message, /a Rust panic: a panic the tests asked for, later/);
  assert.equal(out.later.name, 'InternalError');
  // The trap still escapes the host's turn that polled the engine (Node reports it as uncaught):
  // the JS layer cannot catch inside that turn, only answer the calls.
  assert.deepEqual(out.host, ['RuntimeError']);
});
