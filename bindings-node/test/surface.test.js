'use strict';
// The JS surface is the schema's: every operation is a camelCase method on its resource (or the
// client, for flows) returning a Promise, the typings declare each of them, and the committed
// generated files are what the generator produces from the committed schema now.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('dollr-native');
const dollr = require('dollr-native');

const root = path.join(__dirname, '..', '..');
const schema = JSON.parse(fs.readFileSync(path.join(root, 'core', 'bridge-schema.json'), 'utf8'));
const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

test('every schema operation is a method returning a Promise, and nothing else is', async () => {
  const client = new Client({ baseUrl: 'http://127.0.0.1:9', clientId: 'a', clientSecret: 'b', maxRetries: 0, timeoutMs: 500 });
  const expected = new Set(schema.operations.map((op) => (op.resource ? `${camel(op.resource)}.${camel(op.method)}` : camel(op.method))));
  const actual = new Set();
  const methodsOf = (object) =>
    Object.getOwnPropertyNames(Object.getPrototypeOf(object)).filter((name) => name !== 'constructor' && typeof object[name] === 'function');
  for (const name of methodsOf(Object.getPrototypeOf(client)).filter((n) => n !== 'toJSON')) actual.add(name);
  for (const resource of new Set(schema.operations.filter((op) => op.resource).map((op) => camel(op.resource)))) {
    assert.equal(typeof client[resource], 'object', `client.${resource} is missing`);
    for (const name of methodsOf(client[resource])) actual.add(`${resource}.${name}`);
  }
  assert.deepEqual([...actual].sort(), [...expected].sort());

  // Each returns a Promise (nothing listens on port 9: every call settles as a rejection or,
  // for local operations, a value; none throws synchronously).
  const pending = [];
  for (const op of schema.operations) {
    const target = op.resource ? client[camel(op.resource)] : client;
    const positional = op.params.filter((p) => p.kind === 'path').map((p) => (p.type === 'integer' ? 1 : 'x'));
    const promise = target[camel(op.method)](...positional, {});
    assert.ok(promise instanceof Promise, `${op.name} did not return a Promise`);
    pending.push(promise.catch((error) => assert.ok(error instanceof dollr.DollrError, `${op.name}: ${error}`)));
  }
  await Promise.all(pending);
});

test('index.d.ts declares every operation, model and enum of the schema', () => {
  const dts = fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8');
  for (const op of schema.operations) {
    const name = camel(op.method);
    assert.match(dts, new RegExp(`^  ${name}\\(`, 'm'), `no declaration of ${op.name}`);
  }
  for (const e of schema.enums) {
    assert.match(dts, new RegExp(`^export type ${e.name} =`, 'm'));
    for (const value of e.values) assert.ok(dts.includes(`| ${JSON.stringify(value)}`), `${e.name}.${value} missing`);
    assert.deepEqual(Object.values(dollr[e.name]), e.values, `the ${e.name} export`);
  }
  for (const { kind } of schema.errors) assert.match(dts, new RegExp(`readonly code: "${kind}";`));
  for (const [name] of Object.entries(schema.test_numbers)) {
    const key = camel(name.toLowerCase());
    assert.equal(dollr.testNumbers[key], schema.test_numbers[name], `testNumbers.${key}`);
  }
});

test('the generated files are up to date with the schema', async () => {
  const { generateAll } = await import('../codegen.mjs');
  for (const [file, text] of generateAll()) {
    assert.equal(fs.readFileSync(file, 'utf8'), text, `${path.relative(root, file)} is stale: run make generate-node`);
  }
});

test('the package version is the SDK version', () => {
  assert.equal(require('../../package.json').version, schema.sdk_version);
  assert.equal(dollr.VERSION, schema.sdk_version);
});
