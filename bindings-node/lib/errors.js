'use strict';
// The error classes: `DollrError` here, and one subclass per kind of the core's table of error
// kinds, generated with its docs and `retryable` into ./generated/errors.js. Which class an error
// gets, its `code` (the kind) and its fields (`status`, `details`, `retryAfter`, `referenceId`,
// `requestId`) are decided in ONE place, the addon's `js_error` (bindings-node/src/errors.rs),
// which looks the class up by kind in what is registered below.

const native = require('#dollr-engine');
const { defineErrorClasses } = require('./generated/errors.js');

/** Every error the SDK raises. `code` is the kind: `"Validation"`, `"NotFound"`, … */
class DollrError extends Error {
  /** Whether the same request may succeed if repeated later (each kind's class says). */
  get retryable() {
    return false;
  }
}

const byKind = defineErrorClasses(DollrError);
const classes = { DollrError };
for (const cls of Object.values(byKind)) classes[cls.name] = cls;

for (const [name, cls] of Object.entries(classes)) {
  // `name` on the prototype so stack traces and util.inspect say `ValidationError: …`.
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
}

native._registerErrorClasses({ base: DollrError, byKind });

module.exports = classes;
