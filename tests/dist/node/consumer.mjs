// An ES module program of a user who installed the four tarballs: `import` of the package and of
// the companion by both its names.
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { testNumbers, Client } from 'dollr-native';
import { startSandbox } from 'dollr-native-testing';
import * as viaMain from 'dollr-native/testing';
import { collectAndPayout } from './scenario.mjs';

assert.equal(viaMain.startSandbox, startSandbox, 'dollr-native/testing is dollr-native-testing');
assert.equal(typeof Client, 'function');
const result = await collectAndPayout({ startSandbox, testNumbers, loaded: Object.keys(createRequire(import.meta.url).cache) });
console.log(JSON.stringify({ program: 'esm', ...result }));
