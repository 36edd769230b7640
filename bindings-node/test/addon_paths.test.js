'use strict';
// Where the addon comes from: an installed package loads its platform package's prebuilt addon; a
// checkout loads its own release or debug build, which live at different paths (building for the
// tests never overwrites the release build, and the tests run the debug build they just built).
// The published dollr-native ships no addon at all (pack.test.js).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { addonFile, chooseAddon, PLATFORM_PACKAGE } = require('../lib/addon_file.js');

const ROOT = path.join(__dirname, '..', '..');
const BUILD = path.join(ROOT, 'bindings-node', 'build.mjs');

function node(args, env = {}) {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } }).trim();
}

test('build.mjs writes the debug build and the release build to different paths', () => {
  const debug = node([BUILD, '--print-path']);
  const release = node([BUILD, '--release', '--print-path']);
  assert.equal(debug, addonFile('debug'));
  assert.equal(release, addonFile('release'));
  assert.notEqual(debug, release);
  assert.equal(path.dirname(release), path.join(ROOT, 'bindings-node'));
  assert.equal(path.dirname(debug), path.join(ROOT, 'bindings-node', 'debug'));
});

test('the loader picks the platform package, then the release build, then the debug build; DOLLR_NATIVE_ADDON names a build', () => {
  const both = () => true;
  const onlyDebug = (file) => file === addonFile('debug');
  const prebuilt = `/project/node_modules/${PLATFORM_PACKAGE}/dollr-native.node`;
  const installed = (id) => {
    assert.equal(id, PLATFORM_PACKAGE);
    return prebuilt;
  };
  const notInstalled = (id) => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };
  assert.deepEqual(chooseAddon({}, both, installed), { profile: 'package', file: prebuilt });
  assert.deepEqual(chooseAddon({}, both, notInstalled), { profile: 'release', file: addonFile('release') });
  assert.deepEqual(chooseAddon({}, onlyDebug, notInstalled), { profile: 'debug', file: addonFile('debug') });
  // An explicit choice is the checkout's build, even where a platform package is installed.
  assert.deepEqual(chooseAddon({ DOLLR_NATIVE_ADDON: 'debug' }, both, installed), { profile: 'debug', file: addonFile('debug') });
  assert.deepEqual(chooseAddon({ DOLLR_NATIVE_ADDON: 'release' }, onlyDebug, installed), { profile: 'release', file: addonFile('release') });
  assert.throws(() => chooseAddon({ DOLLR_NATIVE_ADDON: 'fast' }, both, installed), /DOLLR_NATIVE_ADDON/);
});

test('with DOLLR_NATIVE_ADDON=debug (what make test-node sets) a process runs the debug build', () => {
  const probe = `
    const native = require(${JSON.stringify(path.join(ROOT, 'bindings-node', 'lib', 'native.js'))});
    const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
    console.log(JSON.stringify({ loaded, debug: native._isDebugBuild() }));`;
  const seen = JSON.parse(node(['-e', probe], { DOLLR_NATIVE_ADDON: 'debug' }));
  assert.deepEqual(seen.loaded, [addonFile('debug')]);
  assert.equal(seen.debug, true, 'the file at the debug path is a debug build');
  // And this test process runs the build its environment chose.
  require('../lib/native.js');
  assert.ok(Object.keys(require.cache).includes(chooseAddon(process.env).file));
});

test('an installed dollr-native without its platform package says which package is missing, not how to build', () => {
  // The published package: lib/ without the checkout's build script beside it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dollr-native-published-'));
  fs.mkdirSync(path.join(dir, 'lib'));
  for (const file of ['native.js', 'addon_file.js']) fs.copyFileSync(path.join(ROOT, 'bindings-node', 'lib', file), path.join(dir, 'lib', file));
  const { DOLLR_NATIVE_ADDON: _unset, ...env } = process.env;
  const probe = `try { require(${JSON.stringify(path.join(dir, 'lib', 'native.js'))}); } catch (error) { console.log(error.message); }`;
  const message = execFileSync(process.execPath, ['-e', probe], { cwd: dir, encoding: 'utf8', env });
  assert.match(message, new RegExp(`the package ${PLATFORM_PACKAGE} is not installed`));
  assert.doesNotMatch(message, /build\.mjs|npm run build/);
});
