'use strict';
// `client.status.watch(referenceId, options)`: a payment's status changes as an async iterator
// (`for await (const change of client.status.watch(ref, { sessionId }))`). The core's
// `status.wait` runs as one native call read event by event; each observed change is its
// `transition` event (`to`, `from`, `channel`: 'realtime' or 'poll', `anomaly`, `execution`).
// Leaving the loop (`break`, `return`, a throw) or `close()` stops the wait and closes its
// realtime socket. Nothing is decided here: the core subscribes, polls, confirms and checks.

const { OPERATIONS, TABLES } = require('./generated/api.js');
const { fromWire, toWire } = require('./runtime.js');
const { entered, answered, hasAborted } = require('./engine_abort.js');

const WAIT = OPERATIONS['status.wait'];

/** Milliseconds option → the wire, checked like every duration. */
function ms(value, name) {
  return value === undefined ? undefined : toWire(TABLES, 'integer', value, name);
}

class Watch {
  #native;
  #done = false;
  /** How the wait ended (`undefined` until the iteration ended without an error). */
  outcome = undefined;

  constructor(native) {
    this.#native = native;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next() {
    while (!this.#done) {
      let text;
      try {
        const answer = entered(() => this.#native.next());
        if (answer instanceof Error) throw answer;
        text = await answered(answer);
      } catch (error) {
        this.close();
        throw error;
      }
      const item = JSON.parse(text);
      if (item === null) break;
      if (item.event !== undefined) {
        if (item.event.event === 'transition') {
          return { value: fromWire(TABLES, WAIT.events, item.event), done: false };
        }
        continue;
      }
      this.outcome = fromWire(TABLES, WAIT.returns, item.done);
      break;
    }
    this.close();
    return { value: undefined, done: true };
  }

  /** Called by `for await` when the loop is left early. */
  async return() {
    this.close();
    return { value: undefined, done: true };
  }

  /** Stops the wait and closes its realtime socket (idempotent). */
  close() {
    this.#done = true;
    // An engine that aborted runs nothing more; its stream is gone with it.
    if (!hasAborted()) this.#native.close();
  }
}

/**
 * @param {any} native the NativeClient
 * @param {string} referenceId
 * @param {object} [options]
 */
function watch(native, referenceId, options = {}) {
  const {
    operation = 'COLLECTION',
    sessionId,
    sourceType,
    timeoutMs,
    initialIntervalMs,
    maxIntervalMs,
    realtimeTimeoutMs,
  } = options;
  const args = {
    reference_id: toWire(TABLES, 'string', referenceId, 'referenceId'),
    operation: toWire(TABLES, 'enum:OperationType', operation, 'operation'),
  };
  if (sessionId !== undefined) {
    args.realtime = {
      session_id: toWire(TABLES, 'integer', sessionId, 'sessionId'),
      source_type: toWire(TABLES, 'enum:SourceType', sourceType ?? 'INVOICE', 'sourceType'),
    };
  }
  for (const [wire, value, name] of [
    ['timeout_ms', timeoutMs, 'timeoutMs'],
    ['initial_interval_ms', initialIntervalMs, 'initialIntervalMs'],
    ['max_interval_ms', maxIntervalMs, 'maxIntervalMs'],
    ['realtime_timeout_ms', realtimeTimeoutMs, 'realtimeTimeoutMs'],
  ]) {
    const converted = ms(value, name);
    if (converted !== undefined) args[wire] = converted;
  }
  return new Watch(entered(() => native.stream('status.wait', JSON.stringify(args))));
}

module.exports = { watch, Watch };
