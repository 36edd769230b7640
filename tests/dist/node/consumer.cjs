'use strict';
// A CommonJS program of a user who installed the four tarballs: `require` of the package and of
// `dollr-native/testing` (which re-exports dollr-native-testing).
const { testNumbers } = require('dollr-native');
const testing = require('dollr-native/testing');
const assert = require('node:assert/strict');

assert.equal(testing.startSandbox, require('dollr-native-testing').startSandbox, 'dollr-native/testing is dollr-native-testing');
import('./scenario.mjs')
  .then(({ collectAndPayout }) => collectAndPayout({ startSandbox: testing.startSandbox, testNumbers, loaded: Object.keys(require.cache) }))
  .then((result) => console.log(JSON.stringify({ program: 'commonjs', ...result })))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
