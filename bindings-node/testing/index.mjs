// ESM entry of dollr-native-testing (the implementation is the CommonJS module, loaded with
// `require`: see bindings-node/lib/testing.mjs for why not `import`).
import { createRequire } from 'node:module';

const testing = createRequire(import.meta.url)('./index.js');

export const { startSandbox, findSandboxBinary, SandboxError } = testing;
export default testing;
