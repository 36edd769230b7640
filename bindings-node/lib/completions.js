'use strict';
// The Promises of native calls that wait (the network, a timer). The napi addon delivers every
// call's outcome through one threadsafe function per environment instead of one per call (see
// bindings-node/src/completion.rs): it asks `wait(id)` for a call's Promise and later calls
// `settle(id, json)` or `settle(id, error)`. The WebAssembly engine makes its own Promises and
// has no `_registerCompletions`.

const native = require('#dollr-engine');

/** id → the pending Promise's `[resolve, reject]` */
const waiting = new Map();

/** @param {number} id */
function wait(id) {
  return new Promise((resolve, reject) => {
    waiting.set(id, [resolve, reject]);
  });
}

/**
 * @param {number} id
 * @param {string | Error} outcome the JSON result, or the error to reject with
 */
function settle(id, outcome) {
  const pending = waiting.get(id);
  if (pending === undefined) return;
  waiting.delete(id);
  if (typeof outcome === 'string') pending[0](outcome);
  else pending[1](outcome);
}

if (typeof native._registerCompletions === 'function') native._registerCompletions(wait, settle);
