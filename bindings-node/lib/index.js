'use strict';
// The package entry (CommonJS; index.mjs re-exports it for `import`).

const native = require('#dollr-engine');
const errors = require('./errors.js');
const { Secret } = require('./secret.js');
const { Client } = require('./client.js');
const { camelCase } = require('./runtime.js');
const { ENUMS } = require('./generated/api.js');

/** The sandbox's deterministic test numbers (phones are E.164 digits without `+`). */
const testNumbers = Object.freeze(
  Object.fromEntries(native._testNumbers().map(([name, value]) => [camelCase(name.toLowerCase()), value])),
);

/** The SDK version (one number for every dollr package). */
const VERSION = native._version();

module.exports = {
  Client,
  Secret,
  testNumbers,
  VERSION,
  ...errors,
  ...ENUMS,
};
