'use strict';
// Where the `dollr` binary (`dollr sandbox`) is, in the order every dollr test helper uses
// (Python, Node, Kotlin, Swift):
//
//   1. DOLLR_SANDBOX_BINARY: an explicit path (the repository's make targets set it to
//      target/debug/dollr); set but not an executable file is an error naming it;
//   2. the binary bundled in this package's platform companion, `dollr-native-testing-<triple>`
//      (an optional dependency per platform, like the addon's `dollr-native-<triple>`);
//   3. `dollr` on PATH.
//
// Nothing here loads the native addon: `npx dollr` (bin/dollr.js) needs only this file.

const fs = require('node:fs');
const path = require('node:path');
const { triple } = require('dollr-native/internal/platform');

const INSTALL_COMMAND = 'npm install --save-dev dollr-native-testing';
const PLATFORM_PACKAGE = `dollr-native-testing-${triple}`;
const BINARY_NAME = process.platform === 'win32' ? 'dollr.exe' : 'dollr';
/** This package's own `npx dollr` launcher, which a PATH search must not take for the binary. */
const LAUNCHER = path.join(__dirname, 'bin', 'dollr.js');

function isExecutableFile(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function realpath(file) {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** The binary of the installed platform companion, or `undefined` when it is not installed. */
function bundledBinary(resolve = require.resolve) {
  let manifest;
  try {
    manifest = resolve(`${PLATFORM_PACKAGE}/package.json`);
  } catch {
    return undefined;
  }
  const file = path.join(path.dirname(manifest), BINARY_NAME);
  return isExecutableFile(file) ? file : undefined;
}

/** A test helper's error that is not about the caller's input (no binary, no start). */
class SandboxError extends Error {
  constructor(message, code, options) {
    super(message, options);
    this.name = 'SandboxError';
    this.code = code;
  }
}

/**
 * The `dollr` binary to run (see the order above).
 * @param {{ env?: NodeJS.ProcessEnv, resolve?: (id: string) => string }} [where] for tests
 * @returns {string}
 */
function findSandboxBinary({ env = process.env, resolve = require.resolve } = {}) {
  const explicit = env.DOLLR_SANDBOX_BINARY;
  if (explicit) {
    if (isExecutableFile(explicit)) return explicit;
    throw new SandboxError(
      `dollr-native-testing: DOLLR_SANDBOX_BINARY is ${explicit}, which is not an executable file ` +
        '(build it with `cargo build -p dollr-cli`, or unset the variable to use the bundled `dollr`)',
      'DOLLR_SANDBOX_BINARY_MISSING',
    );
  }
  const bundled = bundledBinary(resolve);
  if (bundled) return bundled;
  const launcher = realpath(LAUNCHER);
  for (const directory of (env.PATH ?? '').split(path.delimiter)) {
    if (!directory) continue;
    const candidate = path.join(directory, BINARY_NAME);
    if (isExecutableFile(candidate) && realpath(candidate) !== launcher) return candidate;
  }
  throw new SandboxError(
    `dollr-native-testing: no \`dollr\` binary for ${triple}. Install the testing companion, which ` +
      `brings it (${PLATFORM_PACKAGE}): \`${INSTALL_COMMAND}\`; or put \`dollr\` on PATH, or set ` +
      'DOLLR_SANDBOX_BINARY to its path.',
    'DOLLR_SANDBOX_NOT_FOUND',
  );
}

module.exports = { findSandboxBinary, bundledBinary, SandboxError, PLATFORM_PACKAGE, INSTALL_COMMAND };
