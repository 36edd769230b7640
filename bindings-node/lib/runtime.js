'use strict';
// Translation between the JS surface and the core's bridge, driven by the tables that
// codegen.mjs generates from core/bridge-schema.json: camelCase names ⇄ the API's snake_case,
// `Secret` ⇄ secret strings, `Date` → RFC 3339. Nothing here validates, defaults or interprets a
// value: amounts go to the core as given (decimal strings, or JS numbers, which JSON carries as
// their shortest exact text so the core's decimal parser and currency checks decide), and come
// back as the core's decimal strings.

const { Secret } = require('./secret.js');

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

/**
 * One JS value of schema type `type` in wire form.
 * @param {{ models: Record<string, any>, events: Record<string, any> }} tables the generated tables
 */
function toWire(tables, type, value) {
  if (value === undefined || value === null) return value;
  if (value instanceof Secret) return value.expose();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (type.startsWith('list:')) {
    const inner = type.slice(5);
    return Array.isArray(value) ? value.map((item) => toWire(tables, inner, item)) : value;
  }
  if (type.startsWith('map:')) {
    const inner = type.slice(4);
    if (!isPlainObject(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(tables, inner, v)]));
  }
  if (type.startsWith('model:')) {
    const model = tables.models[type.slice(6)];
    if (!model || !isPlainObject(value)) return value;
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const field = model.byJs[key];
      if (field) out[field.wire] = toWire(tables, field.type, item);
      else out[snakeCase(key)] = genericToWire(item); // unknown: the core decides
    }
    return out;
  }
  if (type === 'json') return value;
  return value;
}

/** Keys converted without a schema (inside fields the schema does not know). */
function genericToWire(value) {
  if (value instanceof Secret) return value.expose();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(genericToWire);
  if (isPlainObject(value)) {
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[snakeCase(key)] = genericToWire(item);
    }
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

/**
 * The `call(operation, positional, options)` function every generated method uses.
 *
 * The addon answers a call that needs nothing outside the process (a refused argument, a closed
 * client) at once — its JSON, or its error object to throw — and a call that waits with a
 * Promise; the caller always gets a Promise.
 * @param {{ call(op: string, args: string, onEvent?: (json: string) => void): string | Error | Promise<string> }} native
 * @param {{ models: Record<string, any>, events: Record<string, any> }} tables
 */
function makeCaller(native, tables) {
  return async function call(op, positional, options) {
    const args = {};
    let onEvent;
    op.positional.forEach((param, index) => {
      const value = positional[index];
      if (value !== undefined) args[param.wire] = toWire(tables, param.type, value);
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
        if (param) args[param.wire] = toWire(tables, param.type, value);
        else args[snakeCase(key)] = genericToWire(value); // unknown: the core decides
      }
    }
    const listener =
      typeof onEvent === 'function'
        ? (/** @type {string} */ json) => {
            onEvent(fromWire(tables, op.events, JSON.parse(json)));
          }
        : undefined;
    const answer = native.call(op.name, JSON.stringify(args), listener);
    if (typeof answer === 'string') return fromWire(tables, op.returns, JSON.parse(answer));
    // Refused before anything was sent: the error was made under the caller's frames, so its
    // stack already points at the caller.
    if (answer instanceof Error) throw answer;
    let json;
    try {
      json = await answer;
    } catch (error) {
      // A rejection is made on the event loop, without the caller's frames. Here, resumed inside
      // this async function, V8's async stack trace still knows who awaited the call: take the
      // frames from here (error path only: capturing a stack is not free).
      if (error instanceof Error) {
        const site = {};
        Error.captureStackTrace(site, call);
        const head = String(error.stack ?? '').split('\n')[0];
        error.stack = `${head}\n${String(/** @type {any} */ (site).stack).split('\n').slice(1).join('\n')}`;
      }
      throw error;
    }
    return fromWire(tables, op.returns, JSON.parse(json));
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

module.exports = { makeCaller, indexFields, toWire, fromWire, genericToWire, snakeCase, camelCase };
