'use strict';
// Loads the native addon built by `npm run build` (napi build --platform): the file is named
// after the platform triple, like every napi-rs package, so one folder can hold several builds.

const path = require('node:path');
const fs = require('node:fs');

function libc() {
  if (process.platform !== 'linux') return '';
  // glibc reports its version here; musl does not.
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  return report?.header?.glibcVersionRuntime ? '-gnu' : '-musl';
}

const triple = `${process.platform}-${process.arch}${libc()}`;
const file = path.join(__dirname, '..', `dollr-native.${triple}.node`);

if (!fs.existsSync(file)) {
  throw new Error(
    `dollr-native: no native addon for ${triple} (looked for ${file}). ` +
      'Build it with `npm install && npm run build` at the root of the dollr repository.',
  );
}

module.exports = require(file);
