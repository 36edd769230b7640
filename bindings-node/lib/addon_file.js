'use strict';
// Where the native addon lives. The two builds have two paths, so a test build can never be
// shipped by accident:
//
//   bindings-node/dollr-native.<triple>.node        the release build (`npm run build`, make
//                                                   node-release): what `npm pack` ships
//   bindings-node/debug/dollr-native.<triple>.node  the debug build (`node bindings-node/build.mjs`,
//                                                   make test-node): outside package.json "files"
//
// The file is named after the platform triple, like every napi-rs package, so one folder can
// hold several platforms' builds. build.mjs writes with `addonFile`; the loader reads with
// `chooseAddon`.

const path = require('node:path');
const fs = require('node:fs');

function libc() {
  if (process.platform !== 'linux') return '';
  // glibc reports its version here; musl does not.
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  return report?.header?.glibcVersionRuntime ? '-gnu' : '-musl';
}

const triple = `${process.platform}-${process.arch}${libc()}`;
const HERE = path.join(__dirname, '..');

/** The path of the `debug` or `release` build for this platform. */
function addonFile(profile) {
  const name = `dollr-native.${triple}.node`;
  return profile === 'debug' ? path.join(HERE, 'debug', name) : path.join(HERE, name);
}

/**
 * Which build to load: `DOLLR_NATIVE_ADDON=debug` or `=release` says it (the test targets set
 * `debug`, so tests never run a stale release build); unset, the release build, or the debug
 * one in a checkout that only built for its tests (a published package has no debug build).
 * @returns {{ profile: 'debug' | 'release', file: string }}
 */
function chooseAddon(env = process.env, exists = fs.existsSync) {
  const asked = env.DOLLR_NATIVE_ADDON;
  if (asked === 'debug' || asked === 'release') return { profile: asked, file: addonFile(asked) };
  if (asked) throw new Error(`dollr-native: DOLLR_NATIVE_ADDON must be "debug" or "release", not ${JSON.stringify(asked)}`);
  const release = addonFile('release');
  if (exists(release)) return { profile: 'release', file: release };
  return { profile: 'debug', file: addonFile('debug') };
}

module.exports = { triple, addonFile, chooseAddon };
