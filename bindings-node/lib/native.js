'use strict';
// Loads the native addon: the installed platform package's prebuilt addon, or in a checkout the
// release build or the debug build the tests ask for (see addon_file.js for the paths and the
// choice).

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
