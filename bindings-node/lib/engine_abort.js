'use strict';
// When the engine aborts. The WebAssembly engine cannot unwind a Rust panic: the module traps
// (the host throws a `WebAssembly.RuntimeError` out of the JS frame that entered it) and is left
// half way through whatever it was doing, so nothing may run on it again, and the calls waiting
// on it would never be answered. Its panic hook hands this module the `InternalError` the abort
// means (bindings-wasm/src/abort.rs); from then on every waiting call rejects with it, and every
// later call is refused with it before entering the module. The napi addon has no `_onAbort`: a
// panic there is caught per call and the addon goes on, so `canAbort` is false and the guards
// below cost it nothing.

const native = require('#dollr-engine');

/** @type {(Error & { code?: string }) | undefined} the error the engine handed over when it aborted */
let aborted;
/** The `reject` of every call waiting on the engine (removed as each is answered). */
const waiting = new Set();

const canAbort = typeof native._onAbort === 'function';
if (canAbort) {
  native._onAbort((/** @type {Error} */ error) => {
    aborted = error;
    for (const reject of waiting) reject(abortError());
    waiting.clear();
  });
}

/** A fresh error like the one the engine handed over (each caller gets its own stack). */
function abortError() {
  const first = /** @type {Error & { code?: string, details?: unknown }} */ (aborted);
  const error = new /** @type {ErrorConstructor} */ (first.constructor)(first.message);
  Object.assign(error, { code: first.code, details: Array.isArray(first.details) ? [...first.details] : [] });
  return error;
}

/**
 * Runs `enter` (a synchronous entry into the engine) unless the engine has aborted; if the engine
 * aborts inside it, throws the abort's `InternalError` instead of the host's `RuntimeError`.
 * @template T
 * @param {() => T} enter
 * @returns {T}
 */
function entered(enter) {
  if (!canAbort) return enter();
  if (aborted !== undefined) throw abortError();
  try {
    return enter();
  } catch (error) {
    if (aborted !== undefined) throw abortError();
    throw error;
  }
}

/**
 * `answer`, or the abort's `InternalError` if the engine aborts first.
 * @template T
 * @param {Promise<T>} answer
 * @returns {Promise<T>}
 */
function answered(answer) {
  if (!canAbort) return answer;
  if (aborted !== undefined) return Promise.reject(abortError());
  return new Promise((resolve, reject) => {
    waiting.add(reject);
    answer.then(
      (value) => {
        waiting.delete(reject);
        resolve(value);
      },
      (error) => {
        waiting.delete(reject);
        reject(error);
      },
    );
  });
}

/** Whether the engine has aborted (nothing may enter it any more, not even to close a stream). */
function hasAborted() {
  return aborted !== undefined;
}

module.exports = { entered, answered, hasAborted };
