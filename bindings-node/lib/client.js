'use strict';
// The `Client`: builds the native client from its options and exposes the generated resources
// and flows. The secret goes straight to Rust and is never kept on the JS side, so nothing here
// can print it.

const native = require('#dollr-engine');
require('./errors.js'); // registers the error classes before the first call can fail
require('./completions.js'); // and how a call that waits answers
const { makeCaller, modelToWire, genericToWire, invalidArgument } = require('./runtime.js');
const { entered } = require('./engine_abort.js');
const { watch } = require('./watch.js');
const { ClientOperations, CLIENT_OPTIONS, TABLES } = require('./generated/api.js');

/**
 * Whether this runs in a web page: a `window` with a `document`, and no server runtime (Node,
 * Deno and Bun define their own globals; a Worker has no `document`).
 */
function inBrowser(scope = globalThis) {
  return (
    typeof scope.window === 'object' &&
    typeof scope.document === 'object' &&
    scope.process?.versions?.node === undefined &&
    scope.Deno === undefined &&
    scope.Bun === undefined
  );
}

/** The WebAssembly engine takes JS hooks (`tokenProvider`, `journalStore`); the napi addon does not yet. */
const HOOKS = ['tokenProvider', 'journalStore'];

/**
 * Splits the host hooks off the options (they are functions and objects, not data), checking them
 * and refusing a client secret in a browser.
 */
function hostHooks(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return { data: options, hooks: undefined };
  const { tokenProvider, journalStore } = options;
  if (inBrowser() && options.clientSecret !== undefined) {
    // The secret moves money: anyone who opens the page could read it. Tokens obtained by your
    // server (`tokenProvider`) are the way in a browser, as in the mobile SDKs.
    throw invalidArgument(
      'clientSecret',
      'a client secret must never be shipped to a browser; obtain tokens on your server and pass `tokenProvider`',
      'value_error',
    );
  }
  if (tokenProvider !== undefined && typeof tokenProvider !== 'function') {
    throw invalidArgument('tokenProvider', `must be a function, not ${typeof tokenProvider}`, 'type_error');
  }
  if (journalStore !== undefined && (journalStore === null || typeof journalStore !== 'object')) {
    throw invalidArgument('journalStore', 'must be an object with get, put and list', 'type_error');
  }
  // Without hooks the options go on as given (a copy would move where a cycle is reported).
  if (tokenProvider === undefined && journalStore === undefined) return { data: options, hooks: undefined };
  const { tokenProvider: _provider, journalStore: _store, ...data } = options;
  if (native._takesHostHooks?.() !== true) {
    const name = tokenProvider !== undefined ? 'tokenProvider' : 'journalStore';
    throw invalidArgument(name, `${HOOKS.join(' and ')} need the WebAssembly engine (edge runtimes, browsers)`, 'value_error');
  }
  return { data, hooks: { tokenProvider, journalStore } };
}

class Client extends ClientOperations {
  #native;

  /**
   * @param {object} [options] the core's client options (`ClientOptions` in `index.d.ts`: the same
   *   fields in every language, durations as `*Ms` numbers); each falls back to the core's
   *   environment variables and defaults.
   */
  constructor(options = {}) {
    // Known options are checked like any argument (`timeoutMs: NaN` is refused by that name);
    // unknown names reach Rust too (snake_cased), which refuses them by name.
    const { data, hooks } = hostHooks(options ?? {});
    const wire =
      data !== null && typeof data === 'object' && !Array.isArray(data)
        ? modelToWire(TABLES, CLIENT_OPTIONS, data)
        : genericToWire(data ?? {});
    const handle = entered(() =>
      hooks ? new native.NativeClient(JSON.stringify(wire), hooks) : new native.NativeClient(JSON.stringify(wire)),
    );
    super(makeCaller(handle, TABLES, native._refusalsNeedCallerFrames?.() === true, native._resultShape));
    this.#native = handle;
    // `status.watch`, written by hand (lib/watch.js): an async iterator over a wait's transitions.
    Object.defineProperty(this.status, 'watch', {
      value: (referenceId, options) => watch(handle, referenceId, options),
      enumerable: false,
    });
  }

  /** The API base URL in use (after environment fallbacks). */
  get baseUrl() {
    return entered(() => this.#native.baseUrl);
  }

  /** The client id in use (the secret is never readable back). */
  get clientId() {
    return entered(() => this.#native.clientId) ?? undefined;
  }

  toJSON() {
    return { baseUrl: this.baseUrl, clientId: this.clientId };
  }

  // Node's `util.inspect.custom`, by its registered name: no `node:util` import, so the same
  // file runs on the edge engines (workerd, Deno, browsers).
  [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspectFn) {
    return `Client ${inspectFn ? inspectFn(this.toJSON(), options) : JSON.stringify(this.toJSON())}`;
  }
}

module.exports = { Client, inBrowser };
