// Builds the WebAssembly engine of dollr-native into bindings-wasm/pkg/ (make wasm-build):
//
//   dollr_wasm_bg.wasm   the module (one file for every host)
//   dollr_wasm.cjs       wasm-bindgen's `--target nodejs` glue: loads the module synchronously
//                        (Node: `DOLLR_NATIVE_ENGINE=wasm`, the tests and the bench)
//   dollr_wasm.mjs       wasm-bindgen's `--target web` glue: `initSync({ module })` with a compiled
//                        module the host hands over (workerd's `.wasm` import); ES module, so
//                        hosts that read `.js` as CommonJS (miniflare) take it as it is
//   dollr_wasm_bg.js     the functions of wasm-bindgen's `--target bundler` glue, which the module
//                        imports by this name: Deno links them when it imports the `.wasm` as an
//                        ES module (js/engine_deno.mjs)
//
// On a fresh machine it adds the rustup target and installs wasm-bindgen-cli, at exactly the
// version of the `wasm-bindgen` crate, into target/tools (skipped when present). Not `--locked`:
// the lock file of wasm-bindgen-cli 0.2.130 pins webpki-roots 1.0.11, which the registry these
// machines build from does not serve (1.0.10 is the newest there), so a locked install fails.
//
//   node bindings-wasm/build.mjs [--profile dev|dist] [--tools-only]

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bindings-wasm', 'pkg');
const TARGET = 'wasm32-unknown-unknown';
const TOOLS = join(ROOT, 'target', 'tools');
const WASM_BINDGEN = join(TOOLS, 'bin', 'wasm-bindgen');

const profileAt = process.argv.indexOf('--profile');
const profile = profileAt > 0 ? process.argv[profileAt + 1] : 'dev';
const cargo = process.env.CARGO ?? 'cargo';

function run(command, args, options = {}) {
  execFileSync(command, args, { stdio: 'inherit', cwd: ROOT, ...options });
}

/** The `wasm-bindgen` crate version in Cargo.lock: the CLI must be exactly that one. */
function bindgenVersion() {
  const lock = readFileSync(join(ROOT, 'Cargo.lock'), 'utf8');
  const match = /\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock);
  if (!match) throw new Error('Cargo.lock has no wasm-bindgen package');
  return match[1];
}

function ensureTools(version) {
  const installed = execFileSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' });
  if (!installed.split('\n').includes(TARGET)) run('rustup', ['target', 'add', TARGET]);
  const current = existsSync(WASM_BINDGEN)
    ? execFileSync(WASM_BINDGEN, ['--version'], { encoding: 'utf8' }).trim()
    : '';
  if (current !== `wasm-bindgen ${version}`) {
    console.log(`installing wasm-bindgen-cli ${version} into target/tools (a few minutes, once)...`);
    run(cargo, ['install', '--quiet', '--force', '--root', TOOLS, 'wasm-bindgen-cli', '--version', `=${version}`]);
  }
}

ensureTools(bindgenVersion());
if (process.argv.includes('--tools-only')) process.exit(0);
run(cargo, ['build', '-p', 'dollr-wasm', '--target', TARGET, '--profile', profile]);
const dir = profile === 'dev' ? 'debug' : profile;
const built = join(ROOT, 'target', TARGET, dir, 'dollr_wasm.wasm');

mkdirSync(OUT, { recursive: true });
for (const [target, from, to] of [
  ['nodejs', 'dollr_wasm.js', 'dollr_wasm.cjs'],
  ['web', 'dollr_wasm.js', 'dollr_wasm.mjs'],
  // The bundler glue's functions, under the name the module imports them by: Deno imports the
  // `.wasm` as an ES module and links it to this file itself (js/engine_deno.mjs).
  ['bundler', 'dollr_wasm_bg.js', 'dollr_wasm_bg.js'],
]) {
  const scratch = mkdtempSync(join(tmpdir(), 'dollr-wasm-'));
  try {
    run(WASM_BINDGEN, ['--target', target, '--out-dir', scratch, built]);
    copyFileSync(join(scratch, from), join(OUT, to));
    // The module is the same for every glue (checked: byte-identical output).
    copyFileSync(join(scratch, 'dollr_wasm_bg.wasm'), join(OUT, 'dollr_wasm_bg.wasm'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
console.log(`bindings-wasm/pkg: built from ${built}`);
