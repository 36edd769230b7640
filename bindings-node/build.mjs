#!/usr/bin/env node
// Builds the native addon: `cargo build -p dollr-node` in the workspace (sharing its target dir,
// so only what changed recompiles), then copies the cdylib where the loader looks for it
// (lib/addon_file.js): the debug build to `bindings-node/debug/dollr-native.<triple>.node`, which
// `npm pack` never ships, the release build to `bindings-node/dollr-native.<triple>.node`, which
// it does. One path per profile: building for the tests never overwrites the release addon.
//
//   node bindings-node/build.mjs            debug build (what the tests use)
//   node bindings-node/build.mjs --release  size-optimized release build, stripped (what you ship)
//   add --print-path                        print where that build goes, and build nothing
//
// The release build uses its own cargo profile, `noderel` (release + fat LTO, one codegen unit,
// opt-level "s"), defined here with `--config` because the workspace's Cargo.toml belongs to
// every crate: an SDK waiting on the network gains nothing from opt-level 3, and this takes the
// stripped addon from about 12 MB to 7.5 MB. Its artifacts live in target/noderel/, apart from
// the other release builds.
//
// Plain cargo instead of @napi-rs/cli: the CLI adds nothing this package uses (we write our own
// loader and typings), and a plain `cargo build` keeps the same fingerprints as the rest of the
// workspace's builds.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const release = process.argv.includes('--release');
const { addonFile } = createRequire(import.meta.url)('./lib/addon_file.js');
const output = addonFile(release ? 'release' : 'debug');

if (process.argv.includes('--print-path')) {
  console.log(output);
  process.exit(0);
}

const cargo = process.env.CARGO ?? 'cargo';
const args = ['build', '-p', 'dollr-node', '--message-format=json-render-diagnostics'];
if (release) {
  for (const setting of ['inherits="release"', 'lto="fat"', 'codegen-units=1', 'opt-level="s"']) {
    args.push('--config', `profile.noderel.${setting}`);
  }
  args.push('--profile', 'noderel');
}
const build = spawnSync(cargo, args, {
  cwd: join(here, '..'),
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
if (build.error) throw build.error;
if (build.status !== 0) process.exit(build.status ?? 1);

// The cdylib's path, as cargo reports it (wherever the target dir is).
let library;
for (const line of build.stdout.split('\n')) {
  if (!line.startsWith('{')) continue;
  const message = JSON.parse(line);
  if (message.reason === 'compiler-artifact' && message.target?.name === 'dollr_node' && message.target.kind.includes('cdylib')) {
    library = message.filenames.find((f) => /\.(so|dylib|dll)$/.test(f));
  }
}
if (!library) {
  console.error('build.mjs: cargo did not report the dollr_node cdylib');
  process.exit(1);
}

mkdirSync(dirname(output), { recursive: true });
// Copy to a temporary name and rename, so a running process never loads a half-written file.
const partial = `${output}.partial`;
copyFileSync(library, partial);
if (release && process.platform === 'linux') {
  const strip = spawnSync('strip', ['--strip-unneeded', partial], { stdio: 'inherit' });
  if (strip.error || strip.status !== 0) console.warn('build.mjs: `strip` failed; the addon keeps its symbols');
}
renameSync(partial, output);
const size = statSync(output).size;
console.log(`built ${output} (${release ? 'release, stripped' : 'debug'}, ${(size / 1e6).toFixed(2)} MB)`);
