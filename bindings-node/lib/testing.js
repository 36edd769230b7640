'use strict';
// `dollr-native/testing`: the in-process Dollr sandbox (the same simulation as `dollr sandbox`)
// for your tests and ours. It runs on its own thread inside this process, on a free loopback port.

const native = require('./native.js');
require('./errors.js');
const { snakeCase, checkNumber, genericToWire } = require('./runtime.js');
const { Client } = require('./client.js');

function json(value) {
  return JSON.stringify(value ?? {});
}

/**
 * Starts a sandbox.
 * @param {object} [options] `{ settleMs = 20, verified, wallets, faults, passcode, seed, ... }`
 *   (`wallets`: `{ USD: "5.00" }`; `faults`: the sandbox's fault configuration, exactly as
 *   `PUT /_sandbox/faults` takes it).
 */
/** The sandbox options that are whole numbers, checked like every number the SDK takes. */
const INTEGER_OPTIONS = new Set([
  'settleMs',
  'seed',
  'port',
  'tokenTtlMinutes',
  'tokenTtlSeconds',
  'checkoutSessionTtlSeconds',
  'payoutSessionTtlSeconds',
]);

function startSandbox(options = {}) {
  const wire = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    if (INTEGER_OPTIONS.has(key)) wire[snakeCase(key)] = checkNumber(key, 'integer', value);
    else if (key === 'wallets' && value !== null && typeof value === 'object') {
      wire.wallets = Object.fromEntries(
        Object.entries(value).map(([code, balance]) => [code, checkNumber(`wallets.${code}`, 'decimal', balance)]),
      );
    } else wire[snakeCase(key)] = genericToWire(value, key);
  }
  const handle = native._startSandbox(json(wire));
  let stopped = false;
  const sandbox = {
    /** `http://127.0.0.1:PORT` */
    url: handle.url,
    clientId: handle.clientId,
    clientSecret: handle.clientSecret,
    passcode: handle.passcode,
    seed: handle.seed,
    /** A `Client` for this sandbox (extra options, e.g. `{ maxRetries: 0 }`, are passed on). */
    client(extra = {}) {
      return new Client({ baseUrl: handle.url, clientId: handle.clientId, clientSecret: handle.clientSecret, ...extra });
    },
    /** Replaces the faults (`{ rules: [{ kind, scope, count, ... }] }`). */
    setFaults(faults) {
      handle.setFaults(json(faults));
    },
    /** Appends one fault rule. */
    addFault(rule) {
      handle.addFault(json(rule));
    },
    /** Removes every fault. */
    clearFaults() {
      handle.setFaults('{}');
    },
    /** The current faults (counted rules show what is left). */
    faults() {
      return JSON.parse(handle.faults());
    },
    /** The counters, as `GET /_sandbox/stats` returns them (snake_case). */
    stats() {
      return JSON.parse(handle.stats());
    },
    /** Execution state changes, oldest first. */
    events() {
      return JSON.parse(handle.events());
    },
    /** The merchant wallets `[{ id, currency, balance, status }]`. */
    wallets() {
      return JSON.parse(handle.wallets());
    },
    /** Sets a wallet balance (a decimal string). */
    setWalletBalance(currency, balance) {
      handle.setWalletBalance(currency, String(checkNumber('balance', 'decimal', balance)));
    },
    /** Every payment intent (one per execution, with its numeric id). */
    paymentIntents() {
      return JSON.parse(handle.paymentIntents());
    },
    /** Changes settings at runtime (`{ settle_ms, verified, passcode, ... }`, snake_case). */
    updateConfig(patch) {
      handle.updateConfig(json(patch));
    },
    /** Moves an execution to its next state (`{ toFinal: true }`: its final one); returns the status. */
    advance(referenceId, { toFinal = false } = {}) {
      return handle.advance(referenceId, toFinal);
    },
    /** Moves the sandbox clock forward. */
    advanceClock(ms) {
      handle.advanceClock(checkNumber('ms', 'integer', ms));
    },
    /** Invalidates every issued token; returns how many there were. */
    revokeTokens() {
      return handle.revokeTokens();
    },
    /** Back to the opening state (data, wallets, faults, stats, clock). */
    reset() {
      handle.reset();
    },
    /** Stops the server (idempotent). */
    stop() {
      if (stopped) return;
      stopped = true;
      handle.stop();
    },
  };
  if (typeof Symbol.dispose === 'symbol') sandbox[Symbol.dispose] = sandbox.stop;
  return sandbox;
}

module.exports = { startSandbox };
