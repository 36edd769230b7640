// ESM entry of `dollr-native/testing` (the implementation is the CommonJS module).
import testing from './testing.js';

export const { startSandbox, findSandboxBinary, SandboxError } = testing;
export default testing;
