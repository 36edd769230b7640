'use strict';
// Node's logs stay free of secrets: a program runs with the most verbose logging the addon offers
// (DOLLR_LOG=trace: every event of the core and of its HTTP client, on stderr) while it requests
// tokens, pays out with a passcode and meets errors (a refused passcode, a wrong client secret);
// neither its stdout nor its stderr ever holds the client secret, a token or a passcode.
//
// The program runs in a child process (the logging setting is per process, read when the first
// Client is made); the sandbox runs here, so its own logs are not the ones under test.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startSandbox } = require('dollr-native/testing');
const { testNumbers } = require('dollr-native');
const { FAST, PASSCODE_PHONE } = require('./fixtures.js');

const SECRET = 'cs-node-logs-5e1f0b7a93';
const PASSCODE = 'pc-node-logs-8c2d71';
const WRONG_SECRET = 'cs-wrong-secret-40d6e2';
const WRONG_PASSCODE = 'pc-wrong-passcode-93ab';
/** The base64url header every sandbox token starts with (`{"alg":"HS256","typ":"JWT"}`). */
const TOKEN_HEADER = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';

const PROGRAM = `
const fs = require('node:fs');
const { Client } = require(${JSON.stringify(path.join(__dirname, '..', '..'))});
const { url, clientId, secret, passcode, wrongSecret, wrongPasscode, phone, passcodePhone, fast } = JSON.parse(process.env.LOGS_TEST);
async function expectError(code, promise) {
  try {
    await promise;
  } catch (error) {
    if (error.code === code) return;
    throw error;
  }
  throw new Error('expected a ' + code + ' error');
}
(async () => {
  const client = new Client({ baseUrl: url, clientId, clientSecret: secret, maxRetries: 0 });
  // A token request of its own, and the one the first call makes.
  const token = await client.auth.obtainToken();
  fs.writeSync(3, token.accessToken.expose() + '\\n');
  const payout = { phone, recipientName: 'Musu Doe', amount: '2.00', currency: 'USD', ...fast };
  const paid = await client.payout({ ...payout, passcode: { code: passcode, phone: passcodePhone } });
  if (paid.execution.status !== 'COMPLETED') throw new Error('payout ' + paid.execution.status);
  await expectError('PermissionDenied', client.payout({ ...payout, passcode: { code: wrongPasscode, phone: passcodePhone } }));
  const wrong = new Client({ baseUrl: url, clientId, clientSecret: wrongSecret, maxRetries: 0 });
  await expectError('Authentication', wrong.fees.tiers());
  console.log('done');
})().catch((error) => {
  console.error('FAILED', error && error.code, error && error.message);
  process.exit(1);
});
`;

function run(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', PROGRAM], { env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '', side: '' };
    child.stdout.on('data', (chunk) => (out.stdout += chunk));
    child.stderr.on('data', (chunk) => (out.stderr += chunk));
    child.stdio[3].on('data', (chunk) => (out.side += chunk));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ ...out, status, signal }));
  });
}

test('DOLLR_LOG=trace logs every request, and never the client secret, a token or a passcode', async () => {
  const sandbox = await startSandbox({ clientSecret: SECRET, passcode: PASSCODE });
  try {
    const env = {
      ...process.env,
      DOLLR_LOG: 'trace',
      LOGS_TEST: JSON.stringify({
        url: sandbox.url,
        clientId: sandbox.clientId,
        secret: SECRET,
        passcode: PASSCODE,
        wrongSecret: WRONG_SECRET,
        wrongPasscode: WRONG_PASSCODE,
        phone: testNumbers.completes,
        passcodePhone: PASSCODE_PHONE,
        fast: FAST,
      }),
    };
    const { stdout, stderr, side, status, signal } = await run(env);
    assert.equal(status, 0, `the program failed (${signal ?? status}):\n${stdout}\n${stderr.slice(-4000)}`);
    assert.match(stdout, /^done$/m);
    const token = side.trim();
    assert.ok(token.startsWith(TOKEN_HEADER), 'the program handed over the token it was issued');

    // The logging was really on, at its most verbose, across everything the program did.
    assert.match(stderr, /TRACE/, 'trace-level events were written');
    assert.match(stderr, /dollr request/, 'each request is logged');
    assert.match(stderr, /obtain\/token/, 'the token requests are logged');
    assert.match(stderr, /sending execution/, 'the payout execution is logged');
    assert.match(stderr, /status=403|403 Forbidden/, 'the refused passcode is logged');
    assert.match(stderr, /status=401|401 Unauthorized/, 'the refused secret is logged');
    assert.ok((await sandbox.stats()).token_requests >= 3, 'tokens were requested');

    for (const [what, secret] of [
      ['the client secret', SECRET],
      ['the wrong client secret', WRONG_SECRET],
      ['the passcode', PASSCODE],
      ['the wrong passcode', WRONG_PASSCODE],
      ['the issued token', token],
      ['any token', TOKEN_HEADER],
    ]) {
      for (const [stream, text] of [['stdout', stdout], ['stderr', stderr]]) {
        assert.ok(!text.includes(secret), `${what} appears in the program's ${stream}`);
      }
    }
    assert.doesNotMatch(stderr, /bearer\s+\S/i, 'no Authorization header value is logged');
  } finally {
    await sandbox.stop();
  }
});

test('without DOLLR_LOG the addon writes nothing to stderr', async () => {
  const sandbox = await startSandbox({ clientSecret: SECRET, passcode: PASSCODE });
  try {
    const { DOLLR_LOG: _ignored, ...quiet } = process.env;
    const env = {
      ...quiet,
      LOGS_TEST: JSON.stringify({
        url: sandbox.url,
        clientId: sandbox.clientId,
        secret: SECRET,
        passcode: PASSCODE,
        wrongSecret: WRONG_SECRET,
        wrongPasscode: WRONG_PASSCODE,
        phone: testNumbers.completes,
        passcodePhone: PASSCODE_PHONE,
        fast: FAST,
      }),
    };
    const { stdout, stderr, status } = await run(env);
    assert.equal(status, 0, stderr);
    assert.equal(stdout.trim(), 'done');
    assert.equal(stderr, '');
  } finally {
    await sandbox.stop();
  }
});
