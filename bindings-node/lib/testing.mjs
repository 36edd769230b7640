// ESM entry of `dollr-native/testing` (the implementation is the CommonJS module). Loaded with
// `require` rather than `import`: an error thrown while Node evaluates an imported CommonJS module
// (here: "install dollr-native-testing") is also reported as uncaught by Node 20, even when the
// `import()` that caused it is caught.
import { createRequire } from 'node:module';

const testing = createRequire(import.meta.url)('./testing.js');

export const { startSandbox, findSandboxBinary, SandboxError } = testing;
export default testing;
