'use strict';
// The `Client`: builds the native client from its options and exposes the generated resources
// and flows. The secret goes straight to Rust and is never kept on the JS side, so nothing here
// can print it.

const native = require('#dollr-engine');
require('./errors.js'); // registers the error classes before the first call can fail
const { makeCaller, modelToWire, genericToWire } = require('./runtime.js');
const { watch } = require('./watch.js');
const { ClientOperations, CLIENT_OPTIONS, TABLES } = require('./generated/api.js');

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
    const wire =
      options !== null && typeof options === 'object' && !Array.isArray(options)
        ? modelToWire(TABLES, CLIENT_OPTIONS, options)
        : genericToWire(options ?? {});
    const handle = new native.NativeClient(JSON.stringify(wire));
    super(makeCaller(handle, TABLES));
    this.#native = handle;
    // `status.watch`, written by hand (lib/watch.js): an async iterator over a wait's transitions.
    Object.defineProperty(this.status, 'watch', {
      value: (referenceId, options) => watch(handle, referenceId, options),
      enumerable: false,
    });
  }

  /** The API base URL in use (after environment fallbacks). */
  get baseUrl() {
    return this.#native.baseUrl;
  }

  /** The client id in use (the secret is never readable back). */
  get clientId() {
    return this.#native.clientId ?? undefined;
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

module.exports = { Client };
