// `make wasm-size`: what an edge deployment carries. Builds the module on the `dist` profile (fat
// LTO, opt-level "s": the workspace's release artifacts), runs wasm-bindgen and then binaryen's
// wasm-opt -Oz over it (as wasm-pack does), and prints its size raw and gzipped (level 9), the
// figures README.md records. Not part of `make test` (a release build takes minutes).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WASM_OPT = join(ROOT, 'bindings-wasm', 'test', 'node_modules', '.bin', 'wasm-opt');
const WASM_BINDGEN = join(ROOT, 'target', 'tools', 'bin', 'wasm-bindgen');
const cargo = process.env.CARGO ?? 'cargo';

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit', cwd: ROOT });
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;

run(cargo, ['build', '-p', 'dollr-wasm', '--target', 'wasm32-unknown-unknown', '--profile', 'dist']);
const scratch = mkdtempSync(join(tmpdir(), 'dollr-wasm-size-'));
try {
  run(WASM_BINDGEN, ['--target', 'web', '--out-dir', scratch, join(ROOT, 'target', 'wasm32-unknown-unknown', 'dist', 'dollr_wasm.wasm')]);
  const bound = join(scratch, 'dollr_wasm_bg.wasm');
  const optimized = join(scratch, 'dollr_wasm_opt.wasm');
  // The features rustc enables by default for wasm32 today; wasm-opt must accept them.
  run(WASM_OPT, ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue', bound, '-o', optimized]);
  const gzipped = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
  console.log(
    `dollr_wasm_bg.wasm (dist profile): ${kb(statSync(bound).size)} after wasm-bindgen (${kb(gzipped(bound))} gzipped -9); ` +
      `${kb(statSync(optimized).size)} after wasm-opt -Oz (${kb(gzipped(optimized))} gzipped -9)`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
