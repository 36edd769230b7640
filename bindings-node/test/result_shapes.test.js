'use strict';
// The engines write results in their JS form (the core's `bridge::ResultShape`, #19): the object a
// call returns must be exactly what `fromWire` makes of the wire's JSON — same keys in the same
// order, same values, `Secret` where the schema says `secret`, no key for an absent field — for
// every operation's return type and any value, including fields the schema does not know, `null`s
// where `fromWire` makes `undefined` (the engine then hands the wire's JSON back) and strings JSON
// must escape. A seeded generator (the same cases on every run, no dependency) makes the values.
// `make test-node` runs it on the napi addon, `make test-wasm` on the WebAssembly engine.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Secret } = require('../lib/secret.js');
const native = require('../lib/native.js');
const { fromWire, resultShapeOf, decodeResult } = require('../lib/runtime.js');
const { OPERATIONS, TABLES } = require('../lib/generated/api.js');

const CASES_PER_OPERATION = 12;
assert.equal(typeof native._resultShape, 'function', 'each engine writes results in their JS form');

const { generator } = require('./seeded.js');

const TEXTS = ['', 'plain', 'quote " and \\ backslash', 'line\nbreak\ttab\u0001\u001f', 'é ü ñ', '😀 emoji', '</script>', '\u2028\u2029'];
const KEYS = ['extra_field', 'nested_key_2', 'already', 'a__b', '_1', 'x_é', 'trailing_', 'UPPER_Case'];

function pick(random, list) {
  return list[Math.floor(random() * list.length)];
}

/** Any JSON value, snake_case keys and `null`s included (what an unknown field may hold). */
function anyValue(random, depth) {
  const roll = random();
  if (depth > 2 || roll < 0.5) return pick(random, [null, true, false, 0, -12.5, 1e21, pick(random, TEXTS)]);
  if (roll < 0.75) return Array.from({ length: Math.floor(random() * 3) }, () => anyValue(random, depth + 1));
  const object = {};
  for (let i = Math.floor(random() * 3); i > 0; i -= 1) object[pick(random, KEYS)] = anyValue(random, depth + 1);
  return object;
}

/** A wire value of schema type `type`, sometimes of another shape than the schema's. */
function wireValue(random, type, depth) {
  if (random() < 0.1) return null;
  if (random() < 0.04) return anyValue(random, depth); // not what the schema says: kept as it is
  if (type.startsWith('list:')) {
    if (depth > 3) return [];
    return Array.from({ length: Math.floor(random() * 3) }, () => (random() < 0.05 ? null : wireValue(random, type.slice(5), depth + 1)));
  }
  if (type.startsWith('map:')) {
    const object = {};
    for (let i = Math.floor(random() * 3); i > 0; i -= 1) object[pick(random, KEYS)] = random() < 0.05 ? null : wireValue(random, type.slice(4), depth + 1);
    return object;
  }
  if (type.startsWith('model:')) {
    const model = TABLES.models[type.slice(6)];
    if (model === undefined || depth > 3) return anyValue(random, depth);
    const object = {};
    for (const field of model.fields) if (random() < 0.8) object[field.wire] = wireValue(random, field.type, depth + 1);
    if (random() < 0.3) object[pick(random, KEYS)] = anyValue(random, depth + 1);
    return object;
  }
  if (type === 'integer') return Math.floor(random() * 1e6);
  if (type === 'number') return random() * 10;
  if (type === 'boolean') return random() < 0.5;
  return pick(random, TEXTS);
}

/** `value` as the bridge writes it: the keys of each object in order (serde_json's map is sorted). */
function wireJson(value) {
  return JSON.stringify(value, (key, item) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.keys(item).sort().map((name) => [name, item[name]]))
      : item,
  );
}

/** `value` with its `Secret`s opened and every object's keys in order, for a strict comparison. */
function comparable(value) {
  if (value instanceof Secret) return { secret: value.expose() };
  if (Array.isArray(value)) return { array: value.map(comparable), length: value.length };
  if (value !== null && typeof value === 'object') {
    return { object: Object.entries(value).map(([key, item]) => [key, comparable(item)]), proto: Object.getPrototypeOf(value) === Object.prototype };
  }
  return { scalar: value };
}

test('every operation result written by the engine is what fromWire makes of the wire JSON', () => {
  let shaped = 0;
  let handedBack = 0;
  for (const [name, op] of Object.entries(OPERATIONS)) {
    const shape = resultShapeOf(native._resultShape, TABLES, op);
    if (op.returns === 'event' || op.returns.endsWith(':event')) {
      assert.equal(shape, undefined, name);
      continue;
    }
    assert.notEqual(shape, undefined, name);
    const random = generator(name.length * 7919 + name.charCodeAt(0));
    for (let i = 0; i < CASES_PER_OPERATION; i += 1) {
      const wire = wireJson(wireValue(random, op.returns, 0));
      const written = native._shapeForTests(shape.number, wire);
      if (written.startsWith(' ')) handedBack += 1;
      else shaped += 1;
      assert.deepEqual(
        comparable(decodeResult(TABLES, op, written, shape)),
        comparable(fromWire(TABLES, op.returns, JSON.parse(wire))),
        `${name}: ${wire}`,
      );
    }
  }
  // Both paths were taken.
  assert.ok(shaped > 100 && handedBack > 0, `${shaped} shaped, ${handedBack} handed back`);
});

test('a secret in a result is a Secret, printed redacted', () => {
  const op = OPERATIONS['status.collection'];
  const shape = resultShapeOf(native._resultShape, TABLES, op);
  const written = native._shapeForTests(shape.number, JSON.stringify({ client_secret: 'pi_secret_1', status: 'PENDING', wallet_message: null }));
  assert.equal(written, '{"clientSecret":"pi_secret_1","status":"PENDING"}');
  const result = decodeResult(TABLES, op, written, shape);
  assert.ok(result.clientSecret instanceof Secret);
  assert.equal(result.clientSecret.expose(), 'pi_secret_1');
  assert.equal(JSON.stringify(result), '{"clientSecret":"[REDACTED]","status":"PENDING"}');
  assert.equal(Object.hasOwn(result, 'walletMessage'), false);
});
