'use strict';
// The error classes. Which class an error gets, its `code` (the core's stable kind name) and its
// fields (`status`, `details`, `retryAfter`, `referenceId`, `requestId`) are decided in ONE place,
// the addon's `js_error` (bindings-node/src/errors.rs); these classes only give each kind a name
// for `instanceof` and `catch` clauses. The names match the Python binding's exceptions.

const native = require('./native.js');

/** Every error the SDK raises. `code` is the kind: `"Validation"`, `"NotFound"`, … */
class DollrError extends Error {}
/** Bad input, refused locally before anything was sent, or a 422 from the API. */
class ValidationError extends DollrError {}
/** 401: bad client credentials, or a token the API no longer accepts. */
class AuthenticationError extends DollrError {}
/** 403: the merchant is not verified for this feature, or a payout passcode was refused. */
class PermissionDeniedError extends DollrError {}
/** 404: the object does not exist (or is not yours). */
class NotFoundError extends DollrError {}
/** A conflicting request (a `referenceId` reused differently, or a state that forbids it). */
class ConflictError extends DollrError {}
/** 429: slow down; see `retryAfter` (seconds). */
class RateLimitError extends DollrError {}
/** 5xx from the API. */
class ServerError extends DollrError {}
/** The request could not be sent, or the connection broke before an answer arrived. */
class NetworkError extends DollrError {}
/** No answer within the configured timeout. */
class TimeoutError extends DollrError {}
/** An execution may or may not have happened; resume with `referenceId`, never pay again. */
class AmbiguousExecutionError extends DollrError {}
/** The API answered with something the SDK could not understand. */
class DecodeError extends DollrError {}
/** A fault inside the SDK itself (journal storage, a caught Rust panic). */
class InternalError extends DollrError {}

const classes = {
  DollrError,
  ValidationError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ServerError,
  NetworkError,
  TimeoutError,
  AmbiguousExecutionError,
  DecodeError,
  InternalError,
};

for (const [name, cls] of Object.entries(classes)) {
  // `name` on the prototype so stack traces and util.inspect say `ValidationError: …`.
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
}

native._registerErrorClasses(classes);

module.exports = classes;
