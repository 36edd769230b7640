'use strict';
// dollr-native/testing (the dollr-native-testing package): `dollr sandbox` as a child process,
// its controls over loopback HTTP, where the binary is found, and that no sandbox outlives the
// Node process that started it.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { inspect } = require('node:util');
const { pathToFileURL } = require('node:url');
const { spawn } = require('node:child_process');
const { testNumbers, ConflictError, NotFoundError, ValidationError, AuthenticationError } = require('dollr-native');
const testing = require('dollr-native/testing');
const { FAST, eventually } = require('./fixtures.js');

const { startSandbox, findSandboxBinary, SandboxError } = testing;
const ROOT = path.join(__dirname, '..', '..');
const SOURCE = path.join(ROOT, 'bindings-node', 'testing');

/**
 * Whether process `pid` is still running. A sandbox whose parent died is reaped by whichever
 * process adopted it, maybe late: until then it is a zombie, which has exited but still exists.
 */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  try {
    // /proc/PID/stat: `pid (comm) state ...`; `Z` is a zombie.
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

/** A program that has not ended after this long is killed (and its test fails). */
const PROGRAM_DEADLINE_MS = 60_000;

/**
 * Runs `source` (an ES module) in a fresh Node process; resolves with its output once it printed
 * a line matching `until` (then `child` is still running) or exited (killed after the deadline).
 */
function node(source, { args = [], env = process.env, until } = {}) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dollr-testing-')), 'program.mjs');
  fs.writeFileSync(file, source);
  const child = spawn(process.execPath, [...args, file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const deadline = setTimeout(() => child.kill('SIGKILL'), PROGRAM_DEADLINE_MS);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) =>
    child.on('close', (status, signal) => {
      clearTimeout(deadline);
      resolve({ status, signal });
    }),
  );
  const ready = new Promise((resolve, reject) => {
    exited.then((exit) => resolve({ child, stdout, stderr, ...exit, exited }));
    if (until) {
      child.stdout.on('data', () => {
        if (until.test(stdout)) resolve({ child, stdout, stderr, exited });
      });
    }
    child.on('error', reject);
  });
  return ready;
}

// The programs live in a temporary folder: they import the checkout's module by its path.
const IMPORT = `import { startSandbox } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'bindings-node', 'lib', 'testing.mjs')).href)};`;

test('startSandbox runs `dollr sandbox`: a URL, credentials and a working client; stop waits for the process', async () => {
  const sandbox = await startSandbox();
  try {
    assert.match(sandbox.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(sandbox.clientId, 'dollr_test_client');
    assert.equal(typeof sandbox.clientSecret, 'string');
    assert.equal(sandbox.passcode, '123456');
    assert.equal(sandbox.seed, 7);
    assert.ok(alive(sandbox.pid), 'the sandbox is a running child process');
    const tiers = await sandbox.client().fees.tiers();
    assert.ok(tiers.length > 0);
    const health = await fetch(`${sandbox.url}/_sandbox/health`);
    assert.deepEqual(await health.json(), { status: 'ok' });
  } finally {
    await sandbox.stop();
  }
  assert.equal(alive(sandbox.pid), false, 'stop() resolves once the process has exited');
  await sandbox.stop(); // idempotent
  await sandbox.close();
  await assert.rejects(sandbox.stats(), (error) => error instanceof SandboxError && error.code === 'DOLLR_SANDBOX_STOPPED');
});

test('Symbol.asyncDispose stops the sandbox (`await using`)', async () => {
  const sandbox = await startSandbox();
  assert.equal(typeof sandbox[Symbol.asyncDispose], 'function');
  await sandbox[Symbol.asyncDispose]();
  assert.equal(alive(sandbox.pid), false);
});

test('options become flags: settle time, seed, credentials, wallets, verified, faults', async () => {
  const sandbox = await startSandbox({
    settleMs: 600_000,
    seed: 42,
    clientId: 'my_client',
    clientSecret: 'my_secret',
    passcode: '654321',
    verified: false,
    wallets: { USD: '5.00', LRD: 7 },
    tokenTtlSeconds: 30,
    faults: { rules: [{ kind: 'error', status: 503, scope: 'status', count: 2 }] },
  });
  try {
    const config = await (await fetch(`${sandbox.url}/_sandbox/config`)).json();
    assert.equal(config.settle_ms, 600_000);
    assert.equal(config.seed, 42);
    assert.equal(config.verified, false);
    assert.equal(config.token_ttl_seconds, 30);
    assert.equal(sandbox.seed, 42);
    assert.equal(sandbox.clientId, 'my_client');
    assert.equal(sandbox.passcode, '654321');
    const wallets = await sandbox.wallets();
    assert.equal(wallets.find((w) => w.currency === 'USD').balance, '5.00');
    assert.equal(wallets.find((w) => w.currency === 'LRD').balance, '7.00');
    assert.equal((await sandbox.faults()).rules[0].count, 2);
    assert.ok((await sandbox.client().fees.tiers()).length > 0, 'the client uses the custom credentials');
    await assert.rejects(sandbox.client({ clientSecret: 'dollr_test_secret', maxRetries: 0 }).fees.tiers(), AuthenticationError);
  } finally {
    await sandbox.stop();
  }
});

test('advance moves an execution on demand; wrong uses are typed errors', async () => {
  const sandbox = await startSandbox({ settleMs: 600_000 });
  try {
    const client = sandbox.client();
    const outcome = await client.collect({ phone: testNumbers.completes, payerName: 'A', currency: 'USD', amount: '2.00', ...FAST, waitTimeoutMs: 50 });
    assert.equal(outcome.settled, false, 'nothing settles on its own in ten minutes');
    assert.equal(await sandbox.advance(outcome.referenceId), 'PROCESSING');
    assert.equal(await sandbox.advance(outcome.referenceId, { toFinal: true }), 'COMPLETED');
    assert.equal((await client.status.collection(outcome.referenceId)).status, 'COMPLETED');
    await assert.rejects(sandbox.advance(outcome.referenceId), ConflictError);
    await assert.rejects(sandbox.advance('00000000-0000-4000-8000-000000000000'), (error) => error instanceof NotFoundError && error.code === 'NotFound' && error.status === 404);
    await assert.rejects(sandbox.advance(42), (error) => error instanceof ValidationError && error.details[0].field === 'referenceId');
    assert.ok((await sandbox.events()).some((e) => e.reference_id === outcome.referenceId && e.cause === 'advance'));
  } finally {
    await sandbox.stop();
  }
});

test('faults, stats, wallets, config, clock, tokens and reset', async () => {
  const sandbox = await startSandbox({ wallets: { USD: '5.00' } });
  try {
    const client = sandbox.client({ maxRetries: 0 });
    assert.equal((await sandbox.wallets()).find((w) => w.currency === 'USD').balance, '5.00');
    await sandbox.setWalletBalance('USD', '1234.56');
    assert.equal((await sandbox.wallets()).find((w) => w.currency === 'USD').balance, '1234.56');

    await sandbox.setFaults({ rules: [{ kind: 'error', status: 503, count: 1 }] });
    assert.equal((await sandbox.faults()).rules.length, 1);
    await assert.rejects(client.fees.tiers(), (error) => error.code === 'Server');
    assert.equal((await sandbox.faults()).rules.length, 0, 'the counted rule was used up');
    assert.equal((await sandbox.stats()).faults.error, 1);
    await sandbox.addFault({ kind: 'rate_limit', retry_after: 0, count: 5 });
    assert.equal((await sandbox.faults()).rules.length, 1);
    await sandbox.clearFaults();
    assert.deepEqual((await sandbox.faults()).rules, []);
    await assert.rejects(sandbox.setFaults({ rules: [{ kind: 'explode' }] }), (error) => error instanceof ValidationError && error.details[0].field === 'rules.0.kind');

    await sandbox.updateConfig({ verified: false });
    await assert.rejects(client.hostedCheckout({ phone: testNumbers.completes, payerName: 'A', currency: 'USD', amount: '1.00' }), (e) => e.code === 'PermissionDenied');
    await sandbox.updateConfig({ verified: true });
    await assert.rejects(sandbox.updateConfig({ verifed: true }), (error) => error instanceof ValidationError && error.details[0].field === 'verifed');

    const clock = await (await fetch(`${sandbox.url}/_sandbox/clock`)).json();
    await sandbox.advanceClock(60_000);
    assert.equal((await (await fetch(`${sandbox.url}/_sandbox/clock`)).json()).offset_ms, clock.offset_ms + 60_000);
    assert.ok((await sandbox.revokeTokens()) >= 1);
    await assert.rejects(sandbox.client({ clientSecret: 'wrong' }).fees.tiers(), AuthenticationError);

    const before = (await sandbox.stats()).requests.total;
    assert.ok(before > 0);
    await sandbox.reset();
    assert.equal((await sandbox.stats()).requests.total, 0);
    assert.equal((await sandbox.wallets()).find((w) => w.currency === 'USD').balance, '5.00', 'back to the opening balance');
    assert.ok((await client.fees.tiers()).length > 0, 'the client re-authenticates after the revocation');
  } finally {
    await sandbox.stop();
  }
});

test('balances and amounts come back as their exact decimal text, never through a float', async () => {
  const sandbox = await startSandbox();
  try {
    // As a binary float, this balance would read back as 1000000000000000.
    await sandbox.setWalletBalance('USD', '999999999999999.99');
    assert.equal((await sandbox.wallets()).find((w) => w.currency === 'USD').balance, '999999999999999.99');
    const collected = await sandbox.client().collect({ phone: testNumbers.completes, payerName: 'A', currency: 'USD', amount: '0.10', ...FAST });
    const [intent] = await sandbox.paymentIntents();
    assert.equal(intent.payee_amount, '0.10');
    assert.equal(intent.payer_amount, collected.execution.payerAmount);
  } finally {
    await sandbox.stop();
  }
});

test('bad options and arguments are refused by name, before anything starts', async () => {
  await assert.rejects(startSandbox({ settleMsec: 5 }), (e) => e instanceof ValidationError && /`settleMsec`/.test(e.message) && !/settle_msec/.test(e.message));
  await assert.rejects(startSandbox({ wallets: { EUR: '1.00' } }), (e) => e instanceof ValidationError && e.details[0].field === 'wallets.EUR' && /EUR/.test(e.message));
  await assert.rejects(startSandbox({ wallets: { USD: '-1.00' } }), (e) => e instanceof ValidationError && e.details[0].field === 'wallets.USD');
  await assert.rejects(startSandbox({ verified: 'no' }), (e) => e instanceof ValidationError && e.details[0].field === 'verified');
  await assert.rejects(startSandbox({ port: 70_000 }), (e) => e instanceof ValidationError && e.details[0].field === 'port');
  await assert.rejects(startSandbox({ clientSecret: 5 }), (e) => e instanceof ValidationError && e.details[0].field === 'clientSecret');
  // Faults the sandbox refuses: named under `faults`, and the sandbox that was started is stopped.
  await assert.rejects(startSandbox({ faults: { rules: [{ kind: 'error', status: 200 }] } }), (e) => e instanceof ValidationError && e.details[0].field.startsWith('faults.rules.0'));
});

test('inspect and JSON show the URL and client id, never the client secret or the passcode', async () => {
  const sandbox = await startSandbox({ clientSecret: 'a-very-private-secret', passcode: '987123' });
  try {
    for (const shown of [inspect(sandbox), inspect(sandbox, { showHidden: true, depth: 5 }), JSON.stringify(sandbox), String(sandbox)]) {
      assert.ok(!shown.includes('a-very-private-secret'), shown);
      assert.ok(!shown.includes('987123'), shown);
    }
    assert.match(inspect(sandbox), new RegExp(sandbox.url.replace(/\./g, '\\.')));
    assert.match(inspect(sandbox), /dollr_test_client/);
  } finally {
    await sandbox.stop();
  }
});

test('in a checkout, dollr-native/testing is the source of dollr-native-testing in bindings-node/testing', () => {
  assert.equal(testing, require(path.join(SOURCE, 'index.js')));
  assert.ok(require.cache[path.join(SOURCE, 'index.js')]);
});

test('without the companion package, dollr-native/testing names the command that installs it (require and import)', async () => {
  // The published dollr-native has lib/ without the companion's source beside it.
  const lib = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dollr-native-lib-')), 'lib');
  fs.mkdirSync(lib);
  for (const file of ['testing.js', 'testing.mjs']) fs.copyFileSync(path.join(ROOT, 'bindings-node', 'lib', file), path.join(lib, file));
  const hint = 'npm install --save-dev dollr-native-testing';
  assert.throws(() => require(path.join(lib, 'testing.js')), (error) => error.code === 'MODULE_NOT_FOUND' && error.message.includes(hint));
  // A caught `import()` is the end of it: nothing is reported as uncaught, the program exits 0.
  const program = `try { await import(${JSON.stringify(pathToFileURL(path.join(lib, 'testing.mjs')).href)}); console.log('imported'); }
    catch (error) { console.log(error.message); }`;
  const { stdout, stderr, status } = await node(program);
  assert.equal(status, 0, stderr);
  assert.ok(stdout.includes(hint), stdout);
});

test('the binary: DOLLR_SANDBOX_BINARY, then the platform companion, then PATH, else the install command', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dollr-binary-'));
  const executable = (file) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '#!/bin/sh\n');
    fs.chmodSync(file, 0o755);
    return file;
  };
  const explicit = executable(path.join(dir, 'explicit', 'dollr'));
  const bundled = executable(path.join(dir, 'node_modules', 'dollr-native-testing-x', 'dollr'));
  fs.writeFileSync(path.join(path.dirname(bundled), 'package.json'), '{}');
  const onPath = executable(path.join(dir, 'bin', 'dollr'));
  const installed = (id) => {
    assert.match(id, /^dollr-native-testing-.+\/package\.json$/);
    return path.join(path.dirname(bundled), 'package.json');
  };
  const notInstalled = (id) => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };
  const PATH = path.join(dir, 'bin');

  assert.equal(findSandboxBinary({ env: { DOLLR_SANDBOX_BINARY: explicit, PATH }, resolve: installed }), explicit);
  assert.throws(
    () => findSandboxBinary({ env: { DOLLR_SANDBOX_BINARY: path.join(dir, 'missing'), PATH }, resolve: installed }),
    (error) => error instanceof SandboxError && error.message.includes(path.join(dir, 'missing')) && error.message.includes('DOLLR_SANDBOX_BINARY'),
  );
  assert.equal(findSandboxBinary({ env: { PATH }, resolve: installed }), bundled);
  assert.equal(findSandboxBinary({ env: { PATH }, resolve: notInstalled }), onPath);
  // `npx dollr` is this package's launcher, on PATH as node_modules/.bin/dollr: never taken for the binary.
  const binDir = path.join(dir, 'node_modules', '.bin');
  fs.mkdirSync(binDir);
  fs.symlinkSync(path.join(SOURCE, 'bin', 'dollr.js'), path.join(binDir, 'dollr'));
  assert.throws(
    () => findSandboxBinary({ env: { PATH: binDir }, resolve: notInstalled }),
    (error) => error.code === 'DOLLR_SANDBOX_NOT_FOUND' && error.message.includes('npm install --save-dev dollr-native-testing'),
  );
});

test('a sandbox that cannot start is an error with its stderr, the credentials redacted', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dollr-broken-'));
  const broken = path.join(dir, 'dollr');
  fs.writeFileSync(broken, '#!/bin/sh\necho "refusing: $*" >&2\nexit 3\n');
  fs.chmodSync(broken, 0o755);
  const program = `${IMPORT}
    try { await startSandbox({ clientSecret: 'a-very-private-secret' }); console.log('started'); }
    catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }`;
  const { stdout, stderr, status } = await node(program, { env: { ...process.env, DOLLR_SANDBOX_BINARY: broken } });
  assert.equal(status, 0, stderr);
  const { code, message } = JSON.parse(stdout);
  assert.equal(code, 'DOLLR_SANDBOX_START');
  assert.match(message, /exited with status 3 before it listened/);
  assert.match(message, /refusing: sandbox --exit-when-stdin-closes/);
  assert.match(message, /--client-secret=\[REDACTED\]/);
  assert.ok(!message.includes('a-very-private-secret'), message);
});

test('a sandbox nobody stops does not keep Node running, and stops when Node exits', async () => {
  const program = `${IMPORT}
    const sandbox = await startSandbox();
    console.log(sandbox.pid);`;
  const { stdout, stderr, status } = await node(program);
  assert.equal(status, 0, `the program did not end by itself when its sandbox was never stopped: ${stderr}`);
  const pid = Number(stdout.trim());
  assert.ok(pid > 0, stdout);
  await eventually(() => !alive(pid), { timeoutMs: 30_000, what: `the sandbox (pid ${pid}) to stop after Node exited` });
});

test('a sandbox stops when the Node process that started it is killed (its stdin closes)', async () => {
  const program = `${IMPORT}
    const sandbox = await startSandbox();
    console.log('pid', sandbox.pid);
    setInterval(() => {}, 1000); // runs until killed`;
  const { child, stdout, exited } = await node(program, { until: /pid \d+\n/ });
  const pid = Number(/pid (\d+)/.exec(stdout)[1]);
  assert.ok(alive(pid));
  child.kill('SIGKILL');
  await exited;
  await eventually(() => !alive(pid), { timeoutMs: 30_000, what: `the sandbox (pid ${pid}) to stop after its parent was killed` });
});

test('a sandbox whose Sandbox object is garbage-collected is stopped', async () => {
  const program = `${IMPORT}
    let sandbox = await startSandbox();
    const pid = sandbox.pid;
    sandbox = undefined;
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    const deadline = Date.now() + 30_000;
    while (alive() && Date.now() < deadline) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    console.log(alive() ? 'still running' : 'stopped');`;
  const { stdout, stderr, status } = await node(program, { args: ['--expose-gc'] });
  assert.equal(status, 0, stderr);
  assert.equal(stdout.trim(), 'stopped');
});
