'use strict';
// The package loads as CommonJS (`require`) and as ESM (`import`), by its own name, and both
// give the same classes.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

test('require("dollr-native") loads the addon', () => {
  const pkg = require('dollr-native');
  assert.equal(typeof pkg.Client, 'function');
  assert.equal(typeof pkg.ValidationError, 'function');
  assert.equal(pkg.VERSION, require('../../package.json').version);
  assert.equal(require('dollr-native/testing').startSandbox.name, 'startSandbox');
});

test('import { Client } from "dollr-native" works and is the same class as require', async () => {
  const esm = await import('dollr-native');
  const cjs = require('dollr-native');
  assert.equal(esm.Client, cjs.Client);
  assert.equal(esm.default, cjs);
  for (const name of Object.keys(cjs)) {
    assert.ok(name in esm, `ESM entry lacks the export ${name}`);
    assert.equal(esm[name], cjs[name]);
  }
  const testing = await import('dollr-native/testing');
  assert.equal(testing.startSandbox, require('dollr-native/testing').startSandbox);
});

test('a standalone ESM program and a CommonJS program both run', () => {
  const esm = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', "import { Client, testNumbers } from 'dollr-native'; console.log(typeof Client, testNumbers.completes);"],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(esm.trim(), 'function 231771234567');
  const cjs = execFileSync(
    process.execPath,
    ['-e', "const { Client, testNumbers } = require('dollr-native'); console.log(typeof Client, testNumbers.completes);"],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(cjs.trim(), 'function 231771234567');
});
