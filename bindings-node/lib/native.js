'use strict';
// The engine under the JS layer on Node (`#dollr-engine` in package.json "imports"; the edge
// conditions map it to bindings-wasm/js/engine_edge.mjs instead). Loads the native addon: the
// installed platform package's prebuilt addon, or in a checkout the release build or the debug
// build the tests ask for (see addon_file.js for the paths and the choice). In a checkout,
// `DOLLR_NATIVE_ENGINE=wasm` loads the WebAssembly build instead (bindings-wasm/pkg, `make
// wasm-build`): how the Node suites and the bench run the edge engine under Node.

// Deno reads this package's CommonJS files with Node's conditions, so their `require('#dollr-engine')`
// comes here although its `import` took the `deno` condition: the same WebAssembly engine for
// both (and before `process.env`, which Deno refuses without `--allow-env`).
if (typeof globalThis.Deno === 'object' && globalThis.Deno !== null) {
  module.exports = require('../../bindings-wasm/js/engine_deno.mjs');
  return;
}

if (process.env.DOLLR_NATIVE_ENGINE === 'wasm') {
  module.exports = require('../../bindings-wasm/pkg/dollr_wasm.cjs');
  return;
}

const fs = require('node:fs');
const { chooseAddon, inCheckout, triple, PLATFORM_PACKAGE } = require('./addon_file.js');

const { profile, file } = chooseAddon();

if (!fs.existsSync(file)) {
  if (inCheckout()) {
    const build = profile === 'debug' ? '`node bindings-node/build.mjs`' : '`npm install && npm run build`';
    throw new Error(
      `dollr-native: no ${profile} native addon for ${triple} (looked for ${file}). ` +
        `Build it with ${build} at the root of the dollr repository.`,
    );
  }
  throw new Error(
    `dollr-native: no prebuilt native addon for ${triple}: the package ${PLATFORM_PACKAGE} is not installed. ` +
      `npm installs it with dollr-native (an optional dependency) on the platforms it is published for: ` +
      `reinstall without --omit=optional, or build dollr-native from source (bindings-node/README.md).`,
  );
}

module.exports = require(file);
