'use strict';
// Translation between the JS surface and the core's bridge, driven by the tables that
// codegen.mjs generates from core/bridge-schema.json: camelCase names ⇄ the API's snake_case,
// `Secret` ⇄ secret strings, `Date` → RFC 3339. Nothing here decides what the API accepts or
// defaults a value: amounts go to the core as given (decimal strings, or JS numbers, which JSON
// carries as their shortest exact text so the core's decimal parser and currency checks decide),
// and come back as the core's decimal strings. What is checked here is what JSON cannot carry
// faithfully (`checkNumber`: NaN, ±Infinity, inexact whole numbers; cyclic structures), which
// would otherwise reach the core as something else (`null`, "not given") or as a crash, and, in
// the same place, numbers that are never valid anywhere (a negative count, a string for an id).
//
// dollr-native-testing checks the sandbox's options with the same `checkNumber` and
// `invalidArgument`, through the package's `dollr-native/internal/runtime` export (not a public
// API: the two packages are released together, at one version).

const { Secret } = require('./secret.js');
const { ValidationError } = require('./errors.js');
const { entered, answered } = require('./engine_abort.js');

/** `countryCode` → `country_code` (only for keys the schema does not know). */
function snakeCase(name) {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `country_code` → `countryCode` (only for keys the schema does not know). */
function camelCase(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Beyond this a JS number no longer holds every whole number exactly (2^53 - 1). */
const LARGEST_EXACT = Number.MAX_SAFE_INTEGER;

/** Deeper than this, arguments are refused rather than walked (the core's JSON reader stops at 128). */
const MAX_DEPTH = 64;

/**
 * The `ValidationError` for argument `field` (spelled as the caller wrote it: `waitTimeoutMs`,
 * `items.0.amount`), shaped exactly like the core's own (`code`, `details: [{ loc, msg, type,
 * field }]`), thrown before anything is sent.
 */
function invalidArgument(field, message, type) {
  const error = new ValidationError(`invalid \`${field}\`: ${message}`);
  error.code = 'Validation';
  // `field` as the caller spells it; `loc` in the API's terms, like the core's and the API's own.
  error.details = [{ loc: ['body', ...field.split('.').map(snakeCase)], msg: message, type, field }];
  return error;
}

/**
 * `convert()`, its refusal located where the API takes the argument (`path`, `query`) as the
 * core's own errors are, rather than in the body.
 * @param {string | undefined} location
 * @param {() => unknown} convert
 */
function located(location, convert) {
  if (location === undefined || location === 'body') return convert();
  try {
    return convert();
  } catch (error) {
    if (error instanceof ValidationError) {
      for (const detail of error.details ?? []) if (detail.loc?.[0] === 'body') detail.loc[0] = location;
    }
    throw error;
  }
}

/** What a refused value was, without echoing text (a misplaced string may be a secret). */
function describe(value) {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const kind = typeof value;
  return kind === 'object' ? 'an object' : `a ${kind}`;
}

/**
 * The one check of every number the SDK takes from JS (ids, counts, durations, amounts, factors;
 * call arguments, client options and the sandbox's options alike), because JSON cannot carry
 * what JS numbers can hold: `NaN` and `±Infinity` would arrive as `null`, which the core reads as
 * "not given", and whole numbers beyond 2^53 are no longer the number the caller wrote. Returns
 * the value to send.
 *
 * `kind`: `integer` (ids, counts, milliseconds: a whole number, 0 or more), `number` (a factor:
 * finite, 0 or more) or `decimal` (an amount: a decimal string or a decimal library's value, which
 * the core reads exactly and checks against the currency, or a finite JS number within the exact
 * range). No integer or
 * factor of the API is ever below zero, so negatives are refused here too, naming the argument
 * as the caller spelled it.
 * @param {string} field the argument as the caller spells it
 * @param {'integer' | 'number' | 'decimal'} kind
 */
function checkNumber(field, kind, value) {
  if (kind === 'decimal') {
    if (typeof value === 'string') return value;
    // A decimal library's value (decimal.js, big.js, bignumber.js): its exact JSON text.
    if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') {
      const text = value.toJSON();
      if (typeof text === 'string') return text;
    }
  }
  if (typeof value === 'bigint') {
    if (kind === 'decimal') return value.toString(); // exact whatever its size
    if (value < 0n) throw invalidArgument(field, `must not be negative, got ${value}`, 'value_error.number.not_ge');
    if (value > BigInt(LARGEST_EXACT)) {
      throw invalidArgument(field, `is too large: ${value} is beyond ${LARGEST_EXACT}`, 'value_error.number.not_le');
    }
    return Number(value);
  }
  if (typeof value !== 'number') {
    const expected = kind === 'decimal' ? 'a decimal string (e.g. "250.10") or a number' : 'a number';
    throw invalidArgument(field, `must be ${expected}, got ${describe(value)}`, kind === 'decimal' ? 'type_error.decimal' : 'type_error.number');
  }
  if (!Number.isFinite(value)) {
    throw invalidArgument(field, `must be a finite number, got ${value}`, 'value_error.number.not_finite');
  }
  if (Math.abs(value) > LARGEST_EXACT) {
    const hint = kind === 'decimal' ? '; pass the amount as a decimal string' : '';
    throw invalidArgument(field, `is too large: ${value} is beyond ${LARGEST_EXACT}, where JS numbers stop being exact${hint}`, 'value_error.number.not_le');
  }
  // Amounts below zero are the core's to refuse, as they are when given as strings.
  if (kind === 'decimal') return value;
  if (value < 0) throw invalidArgument(field, `must not be negative, got ${value}`, 'value_error.number.not_ge');
  if (kind === 'integer' && !Number.isInteger(value)) {
    throw invalidArgument(field, `must be a whole number, got ${value}`, 'type_error.integer');
  }
  return value;
}

/** `items` + 0 → `items.0` */
function joinPath(at, key) {
  return at ? `${at}.${key}` : String(key);
}

/**
 * Walks containers with cycle and depth checks: `seen` holds the objects on the path from the
 * root (a value shared by two branches is fine; one containing itself is refused by name, where
 * recursion would end in a `RangeError` and `JSON.stringify` in a `TypeError`).
 */
function enter(seen, value, field) {
  if (seen === undefined) return new Set([value]); // made on the first container only: most arguments are scalars
  if (seen.has(value)) {
    throw invalidArgument(field || 'arguments', 'contains itself (a cyclic structure cannot be sent)', 'value_error.cyclic');
  }
  if (seen.size >= MAX_DEPTH) {
    throw invalidArgument(field || 'arguments', `is nested deeper than ${MAX_DEPTH} levels`, 'value_error.too_deep');
  }
  return seen.add(value);
}

/**
 * One JS value of schema type `type` in wire form, checked on the way (see `checkNumber`).
 * @param {{ models: Record<string, any>, events: Record<string, any> }} tables the generated tables
 * @param {string} field where the value is, as the caller spells it (`executePolicy.maxBackoffMs`)
 * @param {Set<object>} [seen] the containers on the path to it
 */
function toWire(tables, type, value, field = '', seen = undefined) {
  if (value === undefined || value === null) return value;
  if (type === 'integer' || type === 'number' || type === 'decimal') return checkNumber(field, type, value);
  if (value instanceof Secret) return value.expose();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (type.startsWith('list:') && Array.isArray(value)) {
    const inner = type.slice(5);
    seen = enter(seen, value, field);
    const out = value.map((item, index) => toWire(tables, inner, item, joinPath(field, index), seen));
    seen.delete(value);
    return out;
  }
  if (type.startsWith('map:') && isPlainObject(value)) {
    const inner = type.slice(4);
    seen = enter(seen, value, field);
    const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(tables, inner, v, joinPath(field, k), seen)]));
    seen.delete(value);
    return out;
  }
  const model = type.startsWith('model:') ? tables.models[type.slice(6)] : undefined;
  if (model && isPlainObject(value)) return modelToWire(tables, model, value, field, seen);
  // Anything else (a value of the wrong shape, a `json` value): as given, for the core to judge.
  return genericToWire(value, field, seen);
}

/**
 * An object of a model (or the client options) in wire form: known fields by their schema type,
 * unknown ones snake_cased for the core to refuse by name.
 */
function modelToWire(tables, model, value, field = '', seen = undefined) {
  seen = enter(seen, value, field);
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const known = model.byJs[key];
    if (known) out[known.wire] = toWire(tables, known.type, item, joinPath(field, key), seen);
    else out[snakeCase(key)] = genericToWire(item, joinPath(field, key), seen);
  }
  seen.delete(value);
  return out;
}

/** Keys converted without a schema (inside fields the schema does not know); numbers still checked. */
function genericToWire(value, field = '', seen = undefined) {
  if (value instanceof Secret) return value.expose();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw invalidArgument(field || 'arguments', `must be a finite number, got ${value}`, 'value_error.number.not_finite');
  }
  if (Array.isArray(value)) {
    seen = enter(seen, value, field);
    const out = value.map((item, index) => genericToWire(item, joinPath(field, index), seen));
    seen.delete(value);
    return out;
  }
  if (isPlainObject(value)) {
    seen = enter(seen, value, field);
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[snakeCase(key)] = genericToWire(item, joinPath(field, key), seen);
    }
    seen.delete(value);
    return out;
  }
  return value;
}

/** One wire value of schema type `type` in JS form. `null` (absent) becomes `undefined`. */
function fromWire(tables, type, value) {
  if (value === null || value === undefined) return undefined;
  if (type === 'secret') return typeof value === 'string' ? new Secret(value) : value;
  if (type.startsWith('list:')) {
    const inner = type.slice(5);
    return Array.isArray(value) ? value.map((item) => fromWire(tables, inner, item)) : value;
  }
  if (type.startsWith('map:')) {
    const inner = type.slice(4);
    if (!isPlainObject(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(tables, inner, v)]));
  }
  if (type.startsWith('model:') || type === 'event') {
    // Events are told apart by their `event` name, which is kept as is.
    const model = type === 'event' ? tables.events[value?.event] : tables.models[type.slice(6)];
    if (!model || !isPlainObject(value)) return genericFromWire(value);
    const out = type === 'event' ? { event: value.event } : {};
    for (const [key, item] of Object.entries(value)) {
      if (item === null || item === undefined || (type === 'event' && key === 'event')) continue;
      const field = model.byWire[key];
      if (field) out[field.js] = fromWire(tables, field.type, item);
      else out[camelCase(key)] = genericFromWire(item);
    }
    return out;
  }
  return value;
}

function genericFromWire(value) {
  if (Array.isArray(value)) return value.map(genericFromWire);
  if (isPlainObject(value)) {
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== null && item !== undefined) out[camelCase(key)] = genericFromWire(item);
    }
    return out;
  }
  return value;
}

/** Whether a value of schema type `type` can hold a `secret` anywhere inside it. */
function holdsSecret(tables, type, seen = new Set()) {
  if (type === 'secret') return true;
  if (type.startsWith('list:')) return holdsSecret(tables, type.slice(5), seen);
  if (type.startsWith('map:')) return holdsSecret(tables, type.slice(4), seen);
  // A model met again on the way holds a secret only if it does where it was first met.
  if (!type.startsWith('model:') || seen.has(type)) return false;
  seen.add(type);
  const model = tables.models[type.slice(6)];
  return model !== undefined && model.fields.some((field) => holdsSecret(tables, field.type, seen));
}

/**
 * For a result the engine wrote in JS form (`dollr_core::bridge::ResultShape`: `fromWire`'s rules by
 * these tables), the function that wraps its `secret` values in `Secret` in place, as `fromWire`
 * does; `undefined` when a value of `type` holds none. Made once per operation: it visits only
 * what can hold a secret, with no look-up of the type at each call.
 * @param {Map<string, Function | undefined>} made the wrappers made so far (models may contain themselves)
 * @returns {((value: any) => any) | undefined}
 */
function secretWrapper(tables, type, made = new Map()) {
  if (made.has(type)) return made.get(type);
  if (type === 'secret') return (value) => (typeof value === 'string' ? new Secret(value) : value);
  if (!holdsSecret(tables, type)) return undefined;
  // Its parts are found on first use, once every wrapper they may refer to is made.
  let wrap;
  if (type.startsWith('list:')) {
    let inner;
    wrap = (value) => {
      inner ??= secretWrapper(tables, type.slice(5), made);
      if (Array.isArray(value)) for (let index = 0; index < value.length; index += 1) value[index] = wrapPresent(inner, value[index]);
      return value;
    };
  } else if (type.startsWith('map:')) {
    let inner;
    wrap = (value) => {
      inner ??= secretWrapper(tables, type.slice(4), made);
      if (isPlainObject(value)) for (const key of Object.keys(value)) value[key] = wrapPresent(inner, value[key]);
      return value;
    };
  } else {
    const model = tables.models[type.slice(6)];
    /** @type {Array<[string, Function]> | undefined} */
    let fields;
    wrap = (value) => {
      fields ??= model.fields
        .filter((field) => holdsSecret(tables, field.type))
        .map((field) => [field.js, secretWrapper(tables, field.type, made)]);
      // Not an object: written by `genericFromWire`'s rules, which know no secrets.
      if (!isPlainObject(value)) return value;
      for (const [js, inner] of fields) {
        const item = value[js];
        if (item !== undefined) value[js] = wrapPresent(inner, item);
      }
      return value;
    };
  }
  made.set(type, wrap);
  return wrap;
}

/** `wrap(value)`, or `value` when it is absent (`fromWire` keeps `null` and `undefined` as they are). */
function wrapPresent(wrap, value) {
  return value === null || value === undefined ? value : wrap(value);
}

/**
 * The engine's `_resultShape` → (op → `{ number, wrap }`: its result shape in that engine and its
 * secrets' wrapper; `null`: none). Per engine: each numbers the shapes registered with it.
 */
const resultShapes = new WeakMap();

/**
 * `op`'s result shape (see `decodeResult`): registered with the engine at the op's first call
 * (its return type and every model it reaches, as `[wire, js, type]`); `undefined` when the type
 * is not one the engines shape (events, told apart by their name). The tables of an op never
 * change.
 * @returns {{ number: number, wrap: ((value: any) => any) | undefined } | undefined}
 */
function resultShapeOf(registerShape, tables, op) {
  let shapes = resultShapes.get(registerShape);
  if (shapes === undefined) {
    shapes = new WeakMap();
    resultShapes.set(registerShape, shapes);
  }
  let shape = shapes.get(op);
  if (shape === undefined) {
    shape = null;
    const models = {};
    let shapeable = true;
    const reach = (type) => {
      if (type === 'event') shapeable = false;
      else if (type.startsWith('list:')) reach(type.slice(5));
      else if (type.startsWith('map:')) reach(type.slice(4));
      else if (type.startsWith('model:')) {
        const name = type.slice(6);
        const model = tables.models[name];
        if (model === undefined || Object.hasOwn(models, name)) return;
        models[name] = model.fields.map((field) => [field.wire, field.js, field.type]);
        for (const field of model.fields) reach(field.type);
      }
    };
    reach(op.returns);
    if (shapeable) {
      try {
        const number = registerShape(JSON.stringify({ returns: op.returns, models }));
        shape = { number, wrap: secretWrapper(tables, op.returns) };
      } catch {
        shape = null; // unshaped, as before: the results are the same either way
      }
    }
    shapes.set(op, shape);
  }
  return shape ?? undefined;
}

/**
 * A call's JSON result in JS form. Written so by the addon when the call passed a shape: parsed,
 * and its secrets wrapped. Otherwise (or when the addon could not shape it: its text then starts
 * with a space) the wire's JSON, converted by `fromWire`.
 * @param {{ number: number, wrap: ((value: any) => any) | undefined } | undefined} shape
 */
function decodeResult(tables, op, json, shape) {
  if (shape === undefined || json.charCodeAt(0) === 32) return fromWire(tables, op.returns, JSON.parse(json));
  const value = JSON.parse(json);
  // A `null` result is `undefined`, as `fromWire` makes it.
  if (value === null) return undefined;
  return shape.wrap === undefined ? value : shape.wrap(value);
}

/**
 * `error` with the frames of whoever called `fn` (error path only: capturing a stack is not free).
 * @param {unknown} error
 * @param {Function} fn
 */
function atCaller(error, fn) {
  if (error instanceof Error) {
    const site = {};
    Error.captureStackTrace(site, fn);
    const head = String(error.stack ?? '').split('\n')[0];
    error.stack = `${head}\n${String(/** @type {any} */ (site).stack).split('\n').slice(1).join('\n')}`;
  }
  return error;
}

/**
 * The `call(operation, positional, options)` function every generated method uses.
 *
 * The addon answers a call that needs nothing outside the process (a refused argument, a closed
 * client) at once — its JSON, or its error object to throw — and a call that waits with a
 * Promise; the caller always gets a Promise.
 * @param {{ call(op: string, args: string, onEvent?: (json: string) => void, shape?: number): string | Error | Promise<string> }} native
 * @param {{ models: Record<string, any>, events: Record<string, any> }} tables
 * @param {boolean} refusalsNeedCallerFrames the engine's `_refusalsNeedCallerFrames()` (the WebAssembly engine's)
 * @param {((description: string) => number) | undefined} registerShape the engine's `_resultShape`:
 *   results then come back in JS form, see `decodeResult`
 */
function makeCaller(native, tables, refusalsNeedCallerFrames = false, registerShape = undefined) {
  return async function call(op, positional, options) {
    const args = {};
    let onEvent;
    op.positional.forEach((param, index) => {
      const value = positional[index];
      // Positional parameters are the URL path's.
      if (value !== undefined) args[param.wire] = located('path', () => toWire(tables, param.type, value, param.js));
    });
    if (options !== undefined && options !== null) {
      for (const key in options) {
        const value = options[key];
        if (value === undefined || !Object.hasOwn(options, key)) continue;
        if (op.eventsOption && key === op.eventsOption) {
          onEvent = value;
          continue;
        }
        const param = op.byJs[key];
        if (param) args[param.wire] = located(param.location, () => toWire(tables, param.type, value, key));
        else args[snakeCase(key)] = genericToWire(value, key); // unknown: the core decides
      }
    }
    const listener =
      typeof onEvent === 'function'
        ? (/** @type {string} */ json) => {
            // '' is the addon's end-of-events marker, sent so that every event precedes the result.
            if (json !== '') onEvent(fromWire(tables, op.events, JSON.parse(json)));
          }
        : undefined;
    /** @type {{ number: number, wrap: ((value: any) => any) | undefined } | undefined} */
    let shape;
    const answer = entered(() => {
      // Inside `entered`: registering a shape enters the engine too.
      shape = registerShape === undefined ? undefined : resultShapeOf(registerShape, tables, op);
      return shape === undefined
        ? native.call(op.name, JSON.stringify(args), listener)
        : native.call(op.name, JSON.stringify(args), listener, shape.number);
    });
    if (typeof answer === 'string') return decodeResult(tables, op, answer, shape);
    // Refused before anything was sent: made under the caller's frames. The WebAssembly engine
    // makes it below its glue's frames, which fill V8's ten, so its stack is taken again here;
    // the addon's already has them, and a stack taken again costs a refused call half its time.
    if (answer instanceof Error) throw refusalsNeedCallerFrames ? atCaller(answer, call) : answer;
    let json;
    try {
      json = await answered(answer);
    } catch (error) {
      // A rejection is made on the event loop, without the caller's frames. Here, resumed inside
      // this async function, V8's async stack trace still knows who awaited the call.
      throw atCaller(error, call);
    }
    return decodeResult(tables, op, json, shape);
  };
}

/**
 * Indexes a generated table: `{ fields: [{ js, wire, type }] }` gets `byJs` / `byWire`.
 * @template T
 * @param {T} model
 */
function indexFields(model, list = 'fields') {
  model.byJs = Object.create(null);
  model.byWire = Object.create(null);
  for (const field of model[list]) {
    model.byJs[field.js] = field;
    model.byWire[field.wire] = field;
  }
  return model;
}

module.exports = {
  makeCaller,
  resultShapeOf,
  decodeResult,
  indexFields,
  toWire,
  modelToWire,
  fromWire,
  genericToWire,
  checkNumber,
  invalidArgument,
  snakeCase,
  camelCase,
};
