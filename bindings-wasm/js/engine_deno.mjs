// The WebAssembly engine on Deno (package.json "imports": `#dollr-engine` under the `deno`
// condition). Deno imports a `.wasm` as an ES module (the WebAssembly/ES module integration): it
// compiles and instantiates it, linking its imports to `dollr_wasm_bg.js`, the module it names
// (wasm-bindgen's bundler glue). workerd's way (a compiled `WebAssembly.Module` as the default
// export, engine_edge.mjs) does not exist there, and reading the bytes would need `--allow-read`.
// Synchronous, so the JS layer above loads exactly as it does over the napi addon.
import * as wasm from '../pkg/dollr_wasm_bg.wasm';
import { __wbg_set_wasm } from '../pkg/dollr_wasm_bg.js';

__wbg_set_wasm(wasm);
wasm.__wbindgen_start();

export * from '../pkg/dollr_wasm_bg.js';
