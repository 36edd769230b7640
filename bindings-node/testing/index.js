'use strict';
// dollr-native-testing (also importable as `dollr-native/testing`): the Dollr sandbox for your
// tests. `startSandbox()` runs `dollr sandbox` — the `dollr` binary that this package's platform
// companion brings (binary.js says where it is looked for) — as a child process on a free loopback
// port, and controls it over HTTP (the `/_sandbox/` endpoints, sandbox/README.md). The production
// package, dollr-native, carries no sandbox.
//
// The child process:
// - starts with `--exit-when-stdin-closes`, its stdin a pipe held open by this process: however
//   this process ends (SIGKILL included), the pipe closes and the sandbox stops too;
// - is `unref`'d once it listens, so a sandbox you forgot to stop never keeps Node alive; it is
//   terminated when Node exits ('exit'), and when its `Sandbox` object is garbage-collected;
// - stops on `await sandbox.stop()` (also `close()` and `await using`): stdin closed and SIGTERM,
//   then SIGKILL if it has not exited within STOP_GRACE_MS.

const { spawn } = require('node:child_process');
const { inspect } = require('node:util');
const { Client, Secret, DollrError, ValidationError, NotFoundError, ConflictError, ServerError } = require('dollr-native');
const { checkNumber, invalidArgument } = require('dollr-native/internal/runtime');
const { findSandboxBinary, SandboxError } = require('./binary.js');

/** The first line (`listening on http://127.0.0.1:PORT`) may take this long on a busy machine. */
const START_DEADLINE_MS = 30_000;
/** How long a stopping sandbox may take to exit before it is killed. */
const STOP_GRACE_MS = 10_000;
/** How much of the sandbox's stderr is kept to explain a failure. */
const STDERR_KEPT = 8_192;

const CURRENCIES = ['USD', 'LRD', 'RWF'];
/** A balance as the sandbox reads it: digits, optionally a fraction (never through a float). */
const DECIMAL = /^\d+(\.\d+)?$/;

/** `startSandbox` options that are whole numbers, and their `dollr sandbox` flags. */
const INTEGER_OPTIONS = {
  settleMs: '--settle-ms',
  seed: '--seed',
  port: '--port',
  tokenTtlMinutes: '--token-ttl-minutes',
  tokenTtlSeconds: '--token-ttl-seconds',
  checkoutSessionTtlSeconds: '--checkout-session-ttl-seconds',
  payoutSessionTtlSeconds: '--payout-session-ttl-seconds',
};
const TEXT_OPTIONS = { clientId: '--client-id', clientSecret: '--client-secret', passcode: '--passcode' };
const OTHER_OPTIONS = ['verified', 'wallets', 'faults'];
const KNOWN_OPTIONS = [...Object.keys(INTEGER_OPTIONS), ...Object.keys(TEXT_OPTIONS), ...OTHER_OPTIONS];
/** Quick settlement and a fixed seed: tests are fast and reproducible unless they say otherwise. */
const DEFAULTS = { settleMs: 20, seed: 7, port: 0 };
const DEFAULT_CREDENTIALS = { clientId: 'dollr_test_client', clientSecret: 'dollr_test_secret', passcode: '123456' };

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A balance (a decimal string, a decimal library's value or an exact JS number) as its exact text. */
function balanceText(field, value) {
  const text = String(checkNumber(field, 'decimal', value));
  if (!DECIMAL.test(text)) {
    throw invalidArgument(field, `must be a decimal of 0 or more such as "5.00", got ${JSON.stringify(text)}`, 'value_error.decimal');
  }
  return text.replace(/^0+(?=\d)/, ''); // a JSON number has no leading zeros
}

function currencyCode(field, code) {
  if (CURRENCIES.includes(code)) return code;
  const shown = typeof code === 'string' ? JSON.stringify(code) : typeof code;
  throw invalidArgument(field, `unknown sandbox currency ${shown} (USD, LRD or RWF)`, 'value_error.currency');
}

/**
 * The `dollr sandbox` command line for `options`, checked before anything starts: every refusal
 * is a ValidationError naming the option as the caller spelled it.
 */
function plan(options) {
  if (options === undefined || options === null) options = {};
  if (!isPlainObject(options)) throw invalidArgument('options', 'must be an object', 'type_error.dict');
  const given = { ...DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!KNOWN_OPTIONS.includes(key)) {
      throw invalidArgument(key, `is not a sandbox option (${KNOWN_OPTIONS.join(', ')})`, 'value_error.extra');
    }
    given[key] = value;
  }
  const args = ['sandbox', '--exit-when-stdin-closes'];
  for (const [key, flag] of Object.entries(INTEGER_OPTIONS)) {
    if (given[key] === undefined) continue;
    const number = checkNumber(key, 'integer', given[key]);
    if (key === 'port' && number > 65_535) throw invalidArgument(key, `must be at most 65535, got ${number}`, 'value_error.number.not_le');
    given[key] = number;
    args.push(`${flag}=${number}`);
  }
  const credentials = { ...DEFAULT_CREDENTIALS };
  for (const [key, flag] of Object.entries(TEXT_OPTIONS)) {
    let value = given[key];
    if (value === undefined) continue;
    if (value instanceof Secret) value = value.expose();
    if (typeof value !== 'string' || value === '') throw invalidArgument(key, 'must be a non-empty string', 'type_error.str');
    credentials[key] = value;
    args.push(`${flag}=${value}`);
  }
  if (given.verified !== undefined) {
    if (typeof given.verified !== 'boolean') throw invalidArgument('verified', 'must be true or false', 'type_error.bool');
    if (!given.verified) args.push('--unverified');
  }
  if (given.wallets !== undefined) {
    if (!isPlainObject(given.wallets)) throw invalidArgument('wallets', 'must be an object such as { USD: "5.00" }', 'type_error.dict');
    for (const [code, balance] of Object.entries(given.wallets)) {
      if (balance === undefined) continue;
      const field = `wallets.${code}`;
      args.push(`--wallet=${currencyCode(field, code)}=${balanceText(field, balance)}`);
    }
  }
  if (given.faults !== undefined && !isPlainObject(given.faults)) {
    throw invalidArgument('faults', 'must be an object such as { rules: [...] }', 'type_error.dict');
  }
  return { args, credentials, seed: given.seed, faults: given.faults };
}

/** The last STDERR_KEPT characters of a stream, for error messages. */
function tail(stream) {
  let kept = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    kept = (kept + chunk).slice(-STDERR_KEPT);
  });
  return () => kept;
}

/**
 * Everything about one child process the cleanup needs, and nothing that refers back to its
 * `Sandbox`: the exit hook and the garbage-collection hook hold this, so a forgotten `Sandbox` can
 * still be collected.
 */
class Child {
  constructor(subprocess, stderr, secrets) {
    this.process = subprocess;
    this.stderr = stderr;
    this.secrets = secrets;
    this.exit = undefined; // `{ code, signal }` once it exited (or could not start)
    this.stopping = undefined; // the Promise of `terminate()`
    this.exited = new Promise((resolve) => {
      const gone = (exit) => {
        this.exit ??= exit;
        LIVE.delete(this);
        resolve();
      };
      subprocess.once('exit', (code, signal) => gone({ code, signal }));
      // A process that could not be started (no pid) never emits 'exit'.
      subprocess.on('error', (error) => {
        if (subprocess.pid === undefined) gone({ error });
      });
    });
  }

  /** `status 2` / `SIGKILL` */
  describeExit() {
    if (!this.exit) return 'running';
    if (this.exit.error) return `could not start (${this.exit.error.message})`;
    return this.exit.signal ? `killed by ${this.exit.signal}` : `exited with status ${this.exit.code}`;
  }

  /** Its stderr so far, without the credentials it was given. */
  describeStderr() {
    let text = this.stderr().trim();
    for (const secret of this.secrets) if (secret) text = text.split(secret).join('[REDACTED]');
    return text ? `; its stderr:\n${text}` : '';
  }

  /** Sends the stop signals now (what the exit and garbage-collection hooks can do synchronously). */
  signal() {
    if (this.exit) return;
    this.process.stdin.destroy(); // the sandbox stops when its stdin closes
    this.process.kill('SIGTERM');
  }

  /** Stops it and waits until it has exited (SIGKILL after the grace period). */
  terminate() {
    this.stopping ??= (async () => {
      if (this.exit) return;
      this.process.ref(); // whoever awaits this keeps Node running until the process is gone
      this.signal();
      if (!(await within(this.exited, STOP_GRACE_MS))) {
        this.process.kill('SIGKILL');
        await this.exited;
      }
    })();
    return this.stopping;
  }
}

/** Whether `promise` settles within `ms` (the timer is cleared either way). */
async function within(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every sandbox process that has not exited: terminated when Node exits. */
const LIVE = new Set();
let exitHookInstalled = false;
function track(child) {
  LIVE.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const live of LIVE) live.signal();
    });
  }
}
/** A `Sandbox` that was garbage-collected without `stop()`: its process stops too. */
const COLLECTED = new FinalizationRegistry((child) => child.signal());

/** Reads the `listening on URL` line, within the start deadline. */
function listeningUrl(child) {
  const stdout = child.process.stdout;
  stdout.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let buffered = '';
    const finish = (error, url) => {
      clearTimeout(timer);
      stdout.off('data', onData);
      child.process.off('close', onClose);
      child.process.off('error', onError);
      stdout.resume(); // the lines after the first are for people: read and dropped
      if (error) reject(error);
      else resolve(url);
    };
    const onData = (chunk) => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      const line = buffered.slice(0, end).trim();
      const url = /^listening on (http:\/\/\S+)$/.exec(line)?.[1];
      if (url) finish(undefined, url);
      else finish(new SandboxError(`dollr-native-testing: \`dollr sandbox\` did not say where it listens (first line: ${JSON.stringify(line)})`, 'DOLLR_SANDBOX_START'));
    };
    // `close`, not `exit`: by then its stderr has been read to the end, to be shown.
    const onClose = () =>
      finish(new SandboxError(`dollr-native-testing: \`dollr sandbox\` ${child.describeExit()} before it listened${child.describeStderr()}`, 'DOLLR_SANDBOX_START'));
    const onError = (error) =>
      finish(new SandboxError(`dollr-native-testing: could not run \`dollr sandbox\`: ${error.message}`, 'DOLLR_SANDBOX_START', { cause: error }));
    const timer = setTimeout(
      () => finish(new SandboxError(`dollr-native-testing: \`dollr sandbox\` did not listen within ${START_DEADLINE_MS / 1000} s${child.describeStderr()}`, 'DOLLR_SANDBOX_START')),
      START_DEADLINE_MS,
    );
    stdout.on('data', onData);
    child.process.on('close', onClose);
    child.process.on('error', onError);
  });
}

/** The sandbox's JSON with its money (wallet balances, amounts) as exact decimal strings. */
function parseWithExactMoney(text) {
  // Money in the sandbox's documents is a JSON number (the API's wire form), which JSON.parse
  // would read through a binary float. A key is always a quoted name directly before its colon,
  // so a number after `"balance":` or `"…amount":` is one; inside a string the quotes are escaped.
  return JSON.parse(text.replace(/("(?:balance|[a-z_]*amount)"\s*:\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, '$1"$2"'));
}

/** `["body", "rules", 0, "kind"]` → `rules.0.kind` (the field as the caller wrote it: these documents are snake_case). */
function fieldOf(loc, prefix) {
  const parts = Array.isArray(loc) ? loc.slice(1).map(String) : [];
  return [prefix, ...parts].filter(Boolean).join('.');
}

/**
 * The error for a refused control request, of the class the in-process sandbox raised for the same
 * input: a ValidationError naming the field (422, 400), NotFoundError, ConflictError, ServerError.
 */
function controlError(status, text, what, prefix) {
  let detail;
  try {
    detail = JSON.parse(text).detail;
  } catch {
    detail = text;
  }
  if (status === 422 || status === 400) {
    const items = Array.isArray(detail) ? detail : [{ loc: ['body'], msg: String(detail), type: 'value_error' }];
    const details = items.map((item) => ({ loc: item.loc, msg: item.msg, type: item.type, field: fieldOf(item.loc, prefix) }));
    const error = new ValidationError(`invalid ${details.map((d) => (d.field ? `\`${d.field}\`: ${d.msg}` : d.msg)).join('; ')}`);
    Object.assign(error, { code: 'Validation', status, details });
    return error;
  }
  const message = `${what}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
  const [Class, code] =
    status === 404 ? [NotFoundError, 'NotFound'] : status === 409 ? [ConflictError, 'Conflict'] : status >= 500 ? [ServerError, 'Server'] : [DollrError, 'Sandbox'];
  return Object.assign(new Class(message), { code, status });
}

/** A running sandbox. JSON documents come back in the sandbox's own snake_case shapes. */
class Sandbox {
  #child;
  #url;
  #credentials;
  #seed;
  #supabase;

  constructor(child, url, credentials, seed) {
    this.#child = child;
    this.#url = url;
    this.#credentials = credentials;
    this.#seed = seed;
  }

  /** `http://127.0.0.1:PORT` */
  get url() {
    return this.#url;
  }
  get clientId() {
    return this.#credentials.clientId;
  }
  /** The sandbox's test credential (not a real secret; never shown by `inspect`). */
  get clientSecret() {
    return this.#credentials.clientSecret;
  }
  /** The merchant payout passcode (never shown by `inspect`). */
  get passcode() {
    return this.#credentials.passcode;
  }
  /** The seed of every random decision (to replay a failing run). */
  get seed() {
    return this.#seed;
  }
  /** The process id of `dollr sandbox`. */
  get pid() {
    return this.#child.process.pid;
  }

  /** The sandbox's Supabase Realtime server: `{ supabaseUrl, supabaseAnonKey }`. */
  get supabase() {
    return this.#supabase;
  }

  /** Reads the realtime server's address (once, at start). */
  async _readSupabase() {
    const info = JSON.parse(await this.#control('GET', '/_sandbox/realtime'));
    this.#supabase = { supabaseUrl: info.supabase_url, supabaseAnonKey: info.supabase_anon_key };
  }

  /**
   * A `Client` for this sandbox, listening on its Supabase Realtime server (so a collection
   * finishes in about the settle time; `{ realtime: false }` polls only). Extra options, e.g.
   * `{ maxRetries: 0 }`, are passed on.
   */
  client(extra = {}) {
    const { realtime = true, ...options } = extra;
    const supabase = realtime && this.#supabase ? this.#supabase : {};
    return new Client({ baseUrl: this.#url, clientId: this.clientId, clientSecret: this.clientSecret, ...supabase, ...options });
  }

  /** One control request; the answer's text. */
  async #control(method, route, body, { what = `${method} ${route}`, prefix = '' } = {}) {
    if (this.#child.stopping) throw new SandboxError(`dollr-native-testing: ${what}: this sandbox was stopped`, 'DOLLR_SANDBOX_STOPPED');
    let response;
    try {
      response = await fetch(`${this.#url}${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body,
      });
    } catch (cause) {
      throw new SandboxError(
        `dollr-native-testing: ${what}: the sandbox at ${this.#url} did not answer (${this.#child.describeExit()})${this.#child.describeStderr()}`,
        'DOLLR_SANDBOX_GONE',
        { cause },
      );
    }
    const text = await response.text();
    if (!response.ok) throw controlError(response.status, text, what, prefix);
    return text;
  }

  async #json(route) {
    return JSON.parse(await this.#control('GET', route));
  }

  /** Replaces the faults (`{ rules: [{ kind, scope, count, ... }] }`, the `PUT /_sandbox/faults` shape). */
  async setFaults(faults) {
    await this.#control('PUT', '/_sandbox/faults', JSON.stringify(faults ?? {}));
  }
  /** Appends one fault rule. */
  async addFault(rule) {
    await this.#control('POST', '/_sandbox/faults/rules', JSON.stringify(rule ?? {}));
  }
  /** Removes every fault. */
  async clearFaults() {
    await this.#control('DELETE', '/_sandbox/faults');
  }
  /** The current faults (counted rules show what is left). */
  faults() {
    return this.#json('/_sandbox/faults');
  }
  /** The counters, as `GET /_sandbox/stats` returns them (snake_case). */
  stats() {
    return this.#json('/_sandbox/stats');
  }
  /** Execution state changes, oldest first. */
  events() {
    return this.#json('/_sandbox/events');
  }
  /** The merchant wallets `[{ id, currency, balance, status }]` (`balance` a decimal string). */
  async wallets() {
    return parseWithExactMoney(await this.#control('GET', '/_sandbox/wallets'));
  }
  /** Sets a wallet balance (a decimal string). */
  async setWalletBalance(currency, balance) {
    const code = currencyCode('currency', currency);
    const text = balanceText('balance', balance);
    // The balance goes as a JSON number written from its decimal text: exact, never a float.
    await this.#control('PUT', `/_sandbox/wallets/${code}`, `{"balance":${text}}`);
  }
  /** Every payment intent (one per execution, with its numeric id; amounts as decimal strings). */
  async paymentIntents() {
    return parseWithExactMoney(await this.#control('GET', '/_sandbox/payment-intents'));
  }
  /** Changes settings at runtime (`{ settle_ms, verified, passcode, ... }`, snake_case). */
  async updateConfig(patch) {
    await this.#control('PATCH', '/_sandbox/config', JSON.stringify(patch ?? {}));
    if (typeof patch?.passcode === 'string') this.#credentials = { ...this.#credentials, passcode: patch.passcode };
  }
  /** Moves an execution to its next state (`{ toFinal: true }`: its final one); returns the new status. */
  async advance(referenceId, { toFinal = false } = {}) {
    if (typeof referenceId !== 'string' || referenceId === '') throw invalidArgument('referenceId', 'must be a non-empty string', 'type_error.str');
    const route = `/_sandbox/advance/${encodeURIComponent(referenceId)}${toFinal ? '?to=final' : ''}`;
    const answer = JSON.parse(await this.#control('POST', route, undefined, { what: `cannot advance ${referenceId}` }));
    return answer.status;
  }
  /** Moves the sandbox clock forward by `ms` milliseconds. */
  async advanceClock(ms) {
    const checked = checkNumber('ms', 'integer', ms);
    await this.#control('POST', '/_sandbox/clock/advance', JSON.stringify({ ms: checked }));
  }
  /** Invalidates every issued token; returns how many there were. */
  async revokeTokens() {
    return JSON.parse(await this.#control('POST', '/_sandbox/tokens/revoke')).revoked;
  }
  /** Back to the opening state (data, wallets, faults, stats, clock); settings and tokens stay. */
  async reset() {
    await this.#control('POST', '/_sandbox/reset');
  }

  /** Stops the sandbox and waits until its process has exited (idempotent). */
  async stop() {
    COLLECTED.unregister(this);
    await this.#child.terminate();
  }
  /** The same as `stop()`. */
  close() {
    return this.stop();
  }

  toJSON() {
    return { url: this.#url, clientId: this.clientId, seed: this.#seed, pid: this.pid };
  }

  [inspect.custom](depth, options, inspectFn = inspect) {
    return `Sandbox ${inspectFn({ ...this.toJSON(), state: this.#child.describeExit() }, options)}`;
  }
}

if (typeof Symbol.asyncDispose === 'symbol') {
  // `await using sandbox = await startSandbox()` stops it at the end of the block.
  Object.defineProperty(Sandbox.prototype, Symbol.asyncDispose, {
    value: Sandbox.prototype.stop,
    writable: true,
    configurable: true,
  });
}

/**
 * Starts `dollr sandbox` on a free loopback port and resolves once it listens.
 * @param {object} [options] `{ settleMs = 20, seed = 7, port = 0, verified, wallets, faults, passcode, clientId, clientSecret, ... }`
 *   (`wallets`: `{ USD: "5.00" }`; `faults`: the sandbox's fault configuration, exactly as
 *   `PUT /_sandbox/faults` takes it).
 */
async function startSandbox(options = {}) {
  const { args, credentials, seed, faults } = plan(options);
  const binary = findSandboxBinary();
  const subprocess = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  const child = new Child(subprocess, tail(subprocess.stderr), [credentials.clientSecret, credentials.passcode]);
  track(child);
  let url;
  try {
    url = await listeningUrl(child);
  } catch (error) {
    await child.terminate();
    throw error;
  }
  // From here on the sandbox does not keep Node alive by itself (see the top of this file).
  subprocess.unref();
  for (const stream of [subprocess.stdin, subprocess.stdout, subprocess.stderr]) stream.unref?.();
  const sandbox = new Sandbox(child, url, credentials, seed);
  COLLECTED.register(sandbox, child, sandbox);
  try {
    await sandbox._readSupabase();
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  if (faults !== undefined) {
    try {
      await sandbox.setFaults(faults);
    } catch (error) {
      await sandbox.stop();
      if (error instanceof ValidationError) {
        for (const detail of error.details ?? []) detail.field = detail.field ? `faults.${detail.field}` : 'faults';
        error.message = `invalid ${error.details.map((d) => `\`${d.field}\`: ${d.msg}`).join('; ')}`;
      }
      throw error;
    }
  }
  return sandbox;
}

module.exports = { startSandbox, findSandboxBinary, SandboxError };
