'use strict';
// The debug addon the tests build and the release addon `npm pack` ships live at different paths:
// building for the tests never overwrites the release build, the package never ships a debug
// build, and the tests run the debug build they just built.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { addonFile, chooseAddon } = require('../lib/addon_file.js');

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

test('the loader picks the build DOLLR_NATIVE_ADDON names, and the release build by default', () => {
  const both = () => true;
  const onlyDebug = (file) => file === addonFile('debug');
  assert.deepEqual(chooseAddon({ DOLLR_NATIVE_ADDON: 'debug' }, both), { profile: 'debug', file: addonFile('debug') });
  assert.deepEqual(chooseAddon({ DOLLR_NATIVE_ADDON: 'release' }, onlyDebug), { profile: 'release', file: addonFile('release') });
  assert.deepEqual(chooseAddon({}, both), { profile: 'release', file: addonFile('release') });
  assert.deepEqual(chooseAddon({}, onlyDebug), { profile: 'debug', file: addonFile('debug') });
  assert.throws(() => chooseAddon({ DOLLR_NATIVE_ADDON: 'fast' }, both), /DOLLR_NATIVE_ADDON/);
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

test('npm pack ships no debug build: nothing from bindings-node/debug/, and every addon it packs is a release build', () => {
  const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } }));
  const files = listing[0].files.map((f) => f.path);
  assert.ok(files.includes('index.js') && files.includes('bindings-node/lib/native.js'), `unexpected pack listing: ${files.join(', ')}`);
  assert.ok(files.includes('bindings-node/lib/addon_file.js'), 'the loader ships with its path rules');
  assert.deepEqual(files.filter((f) => f.startsWith('bindings-node/debug/')), [], 'a debug build would be shipped');
  for (const file of files.filter((f) => f.endsWith('.node'))) {
    // An addon without the probe was built before debug and release builds had their own paths:
    // most likely an old debug build left where the release build goes.
    const probe = `const m = require(${JSON.stringify(path.join(ROOT, file))});
      console.log(JSON.stringify(typeof m._isDebugBuild === 'function' ? m._isDebugBuild() : 'unknown'))`;
    assert.equal(JSON.parse(node(['-e', probe])), false, `${file} is a debug build (or one too old to say), and npm pack would ship it: rebuild it with \`npm run build\` or delete it`);
  }
});
