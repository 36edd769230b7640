'use strict';
// Where the native addon lives. An installed package loads the prebuilt addon of its platform
// package; a checkout of the repository loads one of its own two builds, which have two paths, so
// a test build can never be shipped by accident:
//
//   dollr-native-<triple>/dollr-native.<triple>.node  the prebuilt addon: the platform package npm
//                                                   installs with dollr-native (an optional
//                                                   dependency per platform, napi-rs layout)
//   bindings-node/dollr-native.<triple>.node        the checkout's release build (`npm run build`,
//                                                   make node-release)
//   bindings-node/debug/dollr-native.<triple>.node  the checkout's debug build (`node
//                                                   bindings-node/build.mjs`, make test-node)
//
// The file is named after the platform triple, like every napi-rs package, so one folder can
// hold several platforms' builds. build.mjs writes with `addonFile`; the loader reads with
// `chooseAddon`. This file loads no addon: dollr-native-testing reads `triple` from it.

const path = require('node:path');
const fs = require('node:fs');

function libc() {
  if (process.platform === 'win32') return '-msvc'; // napi-rs's name of the Windows ABI
  if (process.platform !== 'linux') return '';
  // glibc reports its version here; musl does not.
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  return report?.header?.glibcVersionRuntime ? '-gnu' : '-musl';
}

/** napi-rs's platform name: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
const triple = `${process.platform}-${process.arch}${libc()}`;
const HERE = path.join(__dirname, '..');
/** The npm package that holds the prebuilt addon for this platform (its `main` is the addon). */
const PLATFORM_PACKAGE = `dollr-native-${triple}`;

/** The path of the checkout's `debug` or `release` build for this platform. */
function addonFile(profile) {
  const name = `dollr-native.${triple}.node`;
  return profile === 'debug' ? path.join(HERE, 'debug', name) : path.join(HERE, name);
}

/** The installed platform package's addon, or `undefined` when that package is not installed. */
function platformAddon(resolve = require.resolve) {
  try {
    return resolve(PLATFORM_PACKAGE);
  } catch {
    return undefined;
  }
}

/**
 * Which addon to load: `DOLLR_NATIVE_ADDON=debug` or `=release` names one of the checkout's builds
 * (the test targets set `debug`, so tests never run a stale release build); unset, the installed
 * platform package's prebuilt addon, else the checkout's release build, else its debug build.
 * @returns {{ profile: 'package' | 'debug' | 'release', file: string }}
 */
function chooseAddon(env = process.env, exists = fs.existsSync, resolve = require.resolve) {
  const asked = env.DOLLR_NATIVE_ADDON;
  if (asked === 'debug' || asked === 'release') return { profile: asked, file: addonFile(asked) };
  if (asked) throw new Error(`dollr-native: DOLLR_NATIVE_ADDON must be "debug" or "release", not ${JSON.stringify(asked)}`);
  const installed = platformAddon(resolve);
  if (installed) return { profile: 'package', file: installed };
  const release = addonFile('release');
  if (exists(release)) return { profile: 'release', file: release };
  return { profile: 'debug', file: addonFile('debug') };
}

/** Whether this is a checkout of the repository (which can build the addon) rather than an installed package. */
function inCheckout(exists = fs.existsSync) {
  return exists(path.join(HERE, 'build.mjs'));
}

module.exports = { triple, PLATFORM_PACKAGE, addonFile, platformAddon, chooseAddon, inCheckout };
