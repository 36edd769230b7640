'use strict';
// pack.mjs makes the four npm packages of `make dist` in napi-rs's layout: the main package
// without any addon, tests or Rust, listing its platform package; the platform package with the
// addon and its os/cpu/libc; the testing companion with `bin: dollr` and its platform package
// with the executable binary. (tests/dist/node/check.mjs installs the real ones offline.)

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const VERSION = require('../../package.json').version;

function unpacked(tarball, into) {
  fs.mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', into]);
  return path.join(into, 'package');
}

test('pack.mjs makes dollr-native, its platform package, dollr-native-testing and its platform package', { timeout: 120_000 }, async () => {
  const { assemble, pack } = await import('../pack.mjs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dollr-pack-'));
  try {
    const addon = path.join(dir, 'libdollr_node.so');
    const binary = path.join(dir, 'dollr');
    fs.writeFileSync(addon, 'not really an addon');
    fs.writeFileSync(binary, '#!/bin/sh\necho fake dollr\n');
    const results = pack(assemble(path.join(dir, 'stage'), { addon, binary, platform: 'linux-x64-gnu' }), path.join(dir, 'out'));
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    assert.deepEqual(Object.keys(byName).sort(), ['dollr-native', 'dollr-native-linux-x64-gnu', 'dollr-native-testing', 'dollr-native-testing-linux-x64-gnu']);
    for (const { name, file } of results) assert.equal(path.basename(file), `${name}-${VERSION}.tgz`);

    const main = unpacked(byName['dollr-native'].file, path.join(dir, 'main'));
    const mainFiles = byName['dollr-native'].files;
    assert.ok(mainFiles.includes('bindings-node/lib/native.js') && mainFiles.includes('index.d.ts'), mainFiles.join(', '));
    assert.deepEqual(mainFiles.filter((f) => /\.node$|(^|\/)test\/|\.rs$|Cargo\.|(^|\/)testing\/|(^|\/)debug\//.test(f)), [], 'no addon, tests, Rust or companion sources');
    const mainManifest = JSON.parse(fs.readFileSync(path.join(main, 'package.json'), 'utf8'));
    assert.deepEqual(mainManifest.optionalDependencies, { 'dollr-native-linux-x64-gnu': VERSION });
    assert.deepEqual(mainManifest.peerDependenciesMeta, { 'dollr-native-testing': { optional: true } });
    assert.equal(mainManifest.scripts, undefined, 'no build scripts for users');
    assert.equal(mainManifest.devDependencies, undefined);
    assert.equal(fs.readFileSync(path.join(main, 'README.md'), 'utf8'), fs.readFileSync(path.join(ROOT, 'bindings-node', 'README.md'), 'utf8'));

    const platform = unpacked(byName['dollr-native-linux-x64-gnu'].file, path.join(dir, 'platform'));
    const platformManifest = JSON.parse(fs.readFileSync(path.join(platform, 'package.json'), 'utf8'));
    assert.deepEqual([platformManifest.os, platformManifest.cpu, platformManifest.libc], [['linux'], ['x64'], ['glibc']]);
    assert.equal(platformManifest.main, 'dollr-native.linux-x64-gnu.node');
    assert.equal(fs.readFileSync(path.join(platform, platformManifest.main), 'utf8'), 'not really an addon');

    const testing = unpacked(byName['dollr-native-testing'].file, path.join(dir, 'testing'));
    const testingManifest = JSON.parse(fs.readFileSync(path.join(testing, 'package.json'), 'utf8'));
    assert.deepEqual(testingManifest.bin, { dollr: 'bin/dollr.js' });
    assert.deepEqual(testingManifest.optionalDependencies, { 'dollr-native-testing-linux-x64-gnu': VERSION });
    assert.deepEqual(testingManifest.peerDependencies, { 'dollr-native': VERSION });
    for (const file of ['index.js', 'index.mjs', 'index.d.ts', 'binary.js', 'bin/dollr.js']) {
      assert.equal(fs.readFileSync(path.join(testing, file), 'utf8'), fs.readFileSync(path.join(ROOT, 'bindings-node', 'testing', file), 'utf8'), file);
    }
    assert.ok(fs.statSync(path.join(testing, 'bin', 'dollr.js')).mode & 0o111, 'the launcher is executable');

    const sandbox = unpacked(byName['dollr-native-testing-linux-x64-gnu'].file, path.join(dir, 'sandbox'));
    const sandboxManifest = JSON.parse(fs.readFileSync(path.join(sandbox, 'package.json'), 'utf8'));
    assert.deepEqual([sandboxManifest.os, sandboxManifest.cpu, sandboxManifest.libc], [['linux'], ['x64'], ['glibc']]);
    assert.equal(execFileSync(path.join(sandbox, 'dollr'), { encoding: 'utf8' }).trim(), 'fake dollr', 'the binary keeps its executable bit');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every npm manifest carries the checkout\'s version', () => {
  const manifests = path.join(ROOT, 'bindings-node', 'npm');
  for (const name of fs.readdirSync(manifests)) {
    const manifest = JSON.parse(fs.readFileSync(path.join(manifests, name, 'package.json'), 'utf8'));
    assert.equal(manifest.name, name);
    assert.equal(manifest.version, VERSION, name);
    for (const [dependency, version] of Object.entries({ ...manifest.optionalDependencies, ...manifest.peerDependencies })) {
      assert.equal(version, VERSION, `${name} → ${dependency}`);
    }
  }
});
