'use strict';
// A value that must not be printed: results mark secret fields (schema type `secret`) with it, and
// inputs accept it wherever a secret string is expected.

const REDACTED = '[REDACTED]';

/** A secret string. Printing, inspecting or JSON-encoding it shows `[REDACTED]`; `expose()` reveals it. */
class Secret {
  #value;
  /** @param {string} value */
  constructor(value) {
    if (typeof value !== 'string') throw new TypeError('Secret: the value must be a string');
    this.#value = value;
  }
  /** The secret itself: call it only where the value must leave your program. */
  expose() {
    return this.#value;
  }
  toString() {
    return REDACTED;
  }
  toJSON() {
    return REDACTED;
  }
  // Node's `util.inspect.custom` by its registered name (no `node:util`: edge engines load this too).
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `Secret(${REDACTED})`;
  }
}

module.exports = { Secret };
