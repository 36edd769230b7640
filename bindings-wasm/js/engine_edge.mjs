// The WebAssembly engine on edge runtimes (package.json "imports": `#dollr-engine` under the
// `workerd`, `worker`, `deno`, `edge-light` and `browser` conditions). The module is imported as a
// compiled `WebAssembly.Module` — how Cloudflare Workers (wrangler, miniflare) and Vercel's edge
// bundler hand over a `.wasm` import — and instantiated synchronously, so the JS layer above it
// loads exactly as it does over the napi addon.
import { initSync } from '../pkg/dollr_wasm.mjs';
import module from '../pkg/dollr_wasm_bg.wasm';

initSync({ module });

export * from '../pkg/dollr_wasm.mjs';
