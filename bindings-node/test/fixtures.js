'use strict';
// What the test files share: a sandbox per test (stopped afterwards), a client for it with quick
// retries, flow options that poll fast, and polling with a deadline (never a fixed sleep).

const { startSandbox } = require('dollr-native/testing');

/** The phone a payout passcode is tied to (any valid number; the sandbox checks the code). */
const PASSCODE_PHONE = '231779999999';

/** Flow options for the sandbox: fast polls and backoff (the behaviour under test does not depend on them). */
const FAST = Object.freeze({
  pollIntervalMs: 10,
  maxPollIntervalMs: 100,
  waitTimeoutMs: 30_000,
  executePolicy: { initialBackoffMs: 10, maxBackoffMs: 100 },
});

/**
 * Runs `fn(sandbox, client)` against a fresh sandbox and stops it afterwards.
 * @template T
 * @param {object} options startSandbox options, plus `client` (extra Client options)
 * @param {(sandbox: import('dollr-native/testing').Sandbox, client: import('dollr-native').Client) => Promise<T>} fn
 */
async function withSandbox(options, fn) {
  const { client: clientOptions, ...sandboxOptions } = options ?? {};
  const sandbox = await startSandbox(sandboxOptions);
  try {
    return await fn(sandbox, sandbox.client(clientOptions ?? {}));
  } finally {
    await sandbox.stop();
  }
}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes (then throws). */
async function eventually(probe, { timeoutMs = 10_000, intervalMs = 10, what = 'the condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

module.exports = { withSandbox, eventually, FAST, PASSCODE_PHONE };
