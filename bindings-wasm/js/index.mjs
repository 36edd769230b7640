// The entry of dollr-native on edge runtimes (package.json "exports" under the `workerd`,
// `worker`, `deno`, `edge-light` and `browser` conditions). The engine is instantiated first,
// then the one JS layer (bindings-node/lib, the same as over the napi addon) is loaded on it.
import '#dollr-engine';

export * from '../../index.mjs';
export { default } from '../../index.mjs';
