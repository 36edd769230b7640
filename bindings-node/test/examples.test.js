'use strict';
// The quickstart examples (examples/node/*.mts) compile under tsc --strict and run against a
// sandbox, configured only through the environment as the README says.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync, execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { startSandbox } = require('dollr-native/testing');

const root = path.join(__dirname, '..', '..');
const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
const run = promisify(execFile);

test('the examples compile and run against the sandbox', { timeout: 120_000 }, async () => {
  execFileSync(tsc, ['-p', path.join(root, 'examples', 'node', 'tsconfig.json')], { stdio: 'inherit' });
  const sandbox = await startSandbox({ settleMs: 20 });
  try {
    const env = {
      ...process.env,
      DOLLR_BASE_URL: sandbox.url,
      DOLLR_CLIENT_ID: sandbox.clientId,
      DOLLR_CLIENT_SECRET: sandbox.clientSecret,
      DOLLR_PASSCODE: sandbox.passcode,
    };
    const collect = await run(process.execPath, [path.join(root, 'examples', 'node', 'dist', 'collect.mjs')], { env, cwd: root });
    assert.match(collect.stdout, /invoice INV-\d{4}-\d+: COMPLETED/);
    assert.match(collect.stdout, /you receive 250\.00 USD/);
    const payout = await run(process.execPath, [path.join(root, 'examples', 'node', 'dist', 'payout.mjs')], { env, cwd: root });
    assert.match(payout.stdout, /payout COMPLETED: 10\.00 USD sent/);
    assert.equal((await sandbox.stats()).executions.created, 2);
  } finally {
    await sandbox.stop();
  }
});
