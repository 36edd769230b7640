'use strict';
// Loads the native addon: the release build, or the debug build the tests ask for (see
// addon_file.js for the two paths and the choice).

const fs = require('node:fs');
const { chooseAddon, triple } = require('./addon_file.js');

const { profile, file } = chooseAddon();

if (!fs.existsSync(file)) {
  const build = profile === 'debug' ? '`node bindings-node/build.mjs`' : '`npm install && npm run build`';
  throw new Error(
    `dollr-native: no ${profile} native addon for ${triple} (looked for ${file}). ` +
      `Build it with ${build} at the root of the dollr repository.`,
  );
}

module.exports = require(file);
