#!/usr/bin/env node
// Makes the npm packages users install, as `npm pack` tarballs, in napi-rs's per-platform layout:
//
//   dollr-native                       JS, typings and the loader (no addon): the checkout's root
//                                      package, with `optionalDependencies` on its platform packages
//   dollr-native-<platform>            the prebuilt addon, `dollr-native.<platform>.node`; npm
//                                      installs only the one whose `os`/`cpu`/`libc` match
//   dollr-native-testing               the sandbox helper (bindings-node/testing/, also
//                                      `dollr-native/testing`) and `npx dollr`, with
//                                      `optionalDependencies` on its platform packages
//   dollr-native-testing-<platform>    the `dollr` binary (`dollr sandbox`)
//
//   node bindings-node/pack.mjs --built target/dist-node.json --target x86_64-unknown-linux-gnu --out dist/
//
// `--built` is what packaging/native.py printed for `dollr-node dollr-cli` (the cdylib and the
// binary for `--target`). The manifests of the other packages are bindings-node/npm/<name>/;
// the testing package's sources stay in bindings-node/testing/ without a package.json of their
// own, so that in a checkout they resolve `dollr-native` to the checkout itself (a package.json
// there would start a package scope where `dollr-native` is not installed). Each package is
// assembled in a temporary folder and packed there.

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const MANIFESTS = join(here, 'npm');

/** napi-rs's platform names of the Rust targets a package can be built for. */
const PLATFORMS = {
  'x86_64-unknown-linux-gnu': 'linux-x64-gnu',
  'aarch64-unknown-linux-gnu': 'linux-arm64-gnu',
  'x86_64-unknown-linux-musl': 'linux-x64-musl',
  'aarch64-unknown-linux-musl': 'linux-arm64-musl',
  'x86_64-apple-darwin': 'darwin-x64',
  'aarch64-apple-darwin': 'darwin-arm64',
  'x86_64-pc-windows-msvc': 'win32-x64-msvc',
};

/** What the published dollr-native must never contain. */
const NOT_IN_MAIN = [/\.node$/, /(^|\/)test\//, /\.rs$/, /(^|\/)Cargo\.(toml|lock)$/, /(^|\/)debug\//];

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' } });
}

/** The committed manifest of `name`, checked to carry the checkout's version. */
function manifest(name, version) {
  const data = readJson(join(MANIFESTS, name, 'package.json'));
  if (data.name !== name) throw new Error(`${name}: its manifest names ${data.name}`);
  for (const [what, value] of [['version', data.version], ...Object.entries({ ...data.optionalDependencies, ...data.peerDependencies })]) {
    if (value !== version) throw new Error(`bindings-node/npm/${name}/package.json: ${what} is ${value}, the checkout is ${version} (package.json)`);
  }
  return data;
}

/** The platform packages of `prefix` (`dollr-native-`, `dollr-native-testing-`) that have a manifest. */
function platformPackages(prefix) {
  const platforms = new Set(Object.values(PLATFORMS));
  return readdirSync(MANIFESTS).filter((name) => name.startsWith(prefix) && platforms.has(name.slice(prefix.length)));
}

/** The manifest dollr-native is published with: the checkout's, for users. */
function mainManifest() {
  const { scripts: _scripts, devDependencies: _dev, ...published } = readJson(join(root, 'package.json'));
  const version = published.version;
  published.optionalDependencies = Object.fromEntries(platformPackages('dollr-native-').map((name) => [name, version]));
  // `dollr-native/testing` re-exports the companion when it is installed (pnpm and Yarn PnP
  // resolve only what a package declares).
  published.peerDependencies = { 'dollr-native-testing': version };
  published.peerDependenciesMeta = { 'dollr-native-testing': { optional: true } };
  return published;
}

/** The files `npm pack` takes from the checkout for dollr-native (its `files` list). */
export function mainFiles() {
  const [listing] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root));
  return listing.files.map((file) => file.path).filter((file) => file !== 'package.json');
}

/** The project's license texts, which every package carries (each manifest's `files` lists them). */
export const LICENSES = ['LICENSE-MIT', 'LICENSE-APACHE'];

/** Assembles the four package folders under `stage`; returns them by package name. */
export function assemble(stage, { addon, binary, platform }) {
  const version = readJson(join(root, 'package.json')).version;
  const folders = {};
  const folder = (name) => {
    const dir = join(stage, name);
    mkdirSync(dir, { recursive: true });
    folders[name] = dir;
    return dir;
  };

  const main = folder('dollr-native');
  const files = mainFiles();
  const forbidden = files.filter((file) => NOT_IN_MAIN.some((pattern) => pattern.test(file)));
  if (forbidden.length) throw new Error(`dollr-native would ship ${forbidden.join(', ')}: package.json "files" must keep them out`);
  for (const file of files) {
    mkdirSync(dirname(join(main, file)), { recursive: true });
    copyFileSync(join(root, file), join(main, file));
  }
  // The npm page of dollr-native is the Node binding's README, not the repository's.
  copyFileSync(join(here, 'README.md'), join(main, 'README.md'));
  writeFileSync(join(main, 'package.json'), `${JSON.stringify(mainManifest(), null, 2)}\n`);

  const testing = folder('dollr-native-testing');
  const testingManifest = manifest('dollr-native-testing', version);
  for (const file of [...testingManifest.files.filter((file) => !LICENSES.includes(file)), 'README.md']) {
    mkdirSync(dirname(join(testing, file)), { recursive: true });
    cpSync(join(here, 'testing', file), join(testing, file));
  }
  chmodSync(join(testing, 'bin', 'dollr.js'), 0o755);
  writeFileSync(join(testing, 'package.json'), `${JSON.stringify(testingManifest, null, 2)}\n`);

  for (const [name, file, source, mode] of [
    [`dollr-native-${platform}`, `dollr-native.${platform}.node`, addon, 0o644],
    [`dollr-native-testing-${platform}`, platform.startsWith('win32') ? 'dollr.exe' : 'dollr', binary, 0o755],
  ]) {
    const data = manifest(name, version);
    if (!data.files.includes(file)) throw new Error(`bindings-node/npm/${name}/package.json: "files" lacks ${file}`);
    const dir = folder(name);
    cpSync(join(MANIFESTS, name), dir, { recursive: true });
    copyFileSync(source, join(dir, file));
    chmodSync(join(dir, file), mode);
  }
  for (const [name, dir] of Object.entries(folders)) {
    const data = readJson(join(dir, 'package.json'));
    const missing = LICENSES.filter((file) => !data.files.includes(file));
    if (missing.length) throw new Error(`${name}: its manifest's "files" lacks ${missing.join(', ')}`);
    for (const file of LICENSES) copyFileSync(join(root, file), join(dir, file));
  }
  return folders;
}

/** Packs the assembled folders into `out`; returns `[{ name, file, size, unpackedSize, files }]`. */
export function pack(folders, out) {
  mkdirSync(out, { recursive: true });
  return Object.entries(folders).map(([name, dir]) => {
    const [result] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', out], dir));
    return { name, file: join(out, result.filename), size: result.size, unpackedSize: result.unpackedSize, files: result.files.map((f) => f.path) };
  });
}

function main(argv) {
  const option = (flag) => {
    const at = argv.indexOf(flag);
    if (at < 0 || at + 1 >= argv.length) throw new Error(`usage: pack.mjs --built FILE --target TRIPLE --out DIR (missing ${flag})`);
    return argv[at + 1];
  };
  const target = option('--target');
  const platform = PLATFORMS[target];
  if (!platform) throw new Error(`pack.mjs: no npm platform name for ${target} (known: ${Object.keys(PLATFORMS).join(', ')})`);
  const built = readJson(option('--built'));
  const only = (pkg, pattern) => {
    const found = (built[pkg] ?? []).filter((file) => pattern.test(file));
    if (found.length !== 1) throw new Error(`pack.mjs: expected one ${pattern} artifact of ${pkg} in ${option('--built')}, got ${JSON.stringify(found)}`);
    return found[0];
  };
  const addon = only('dollr-node', /\.(so|dylib|dll)$/);
  const binary = only('dollr-cli', /(^|[/\\])dollr(\.exe)?$/);
  const stage = mkdtempSync(join(tmpdir(), 'dollr-npm-'));
  try {
    for (const result of pack(assemble(stage, { addon, binary, platform }), option('--out'))) {
      console.log(`${result.file}: ${(result.size / 1e6).toFixed(2)} MB packed, ${(result.unpackedSize / 1e6).toFixed(2)} MB unpacked`);
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
