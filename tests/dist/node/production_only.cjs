'use strict';
// A program of a user who installed only dollr-native (and so its platform package): the SDK
// works, and the sandbox is nowhere — `dollr-native/testing` names the command that brings it,
// and the addon holds no sandbox code.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Client, testNumbers, VERSION } = require('dollr-native');

const HINT = 'npm install --save-dev dollr-native-testing';

async function main() {
  assert.equal(typeof Client, 'function');
  assert.equal(testNumbers.completes, '231771234567', 'the test numbers stay in the production package');
  const client = new Client({ baseUrl: 'http://127.0.0.1:9', clientId: 'id', clientSecret: 'secret' });
  assert.equal(client.baseUrl, 'http://127.0.0.1:9');

  assert.throws(() => require('dollr-native/testing'), (error) => error.message.includes(HINT));
  await assert.rejects(import('dollr-native/testing'), (error) => error.message.includes(HINT));

  const addon = require.resolve('dollr-native-linux-x64-gnu');
  const bytes = fs.readFileSync(addon);
  assert.equal(bytes.indexOf('dollr_sandbox'), -1, `${addon} contains dollr_sandbox`);
  console.log(JSON.stringify({ program: 'production-only', version: VERSION, addon, addonBytes: bytes.length }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
