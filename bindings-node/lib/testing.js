'use strict';
// `dollr-native/testing`: the import path of the sandbox helper, which lives in its own package,
// `dollr-native-testing` (it brings the `dollr` binary, so production installs carry no sandbox).
// Install it as a dev dependency: `npm install --save-dev dollr-native-testing`.

const fs = require('node:fs');
const path = require('node:path');

// In a checkout of the dollr repository, the companion's source sits beside this folder (the
// published dollr-native does not contain it): the checkout's tests run the checkout's helper.
const CHECKOUT_SOURCE = path.join(__dirname, '..', 'testing', 'index.js');

function load() {
  if (fs.existsSync(CHECKOUT_SOURCE)) return require(CHECKOUT_SOURCE);
  try {
    require.resolve('dollr-native-testing');
  } catch {
    const error = new Error(
      'dollr-native/testing needs the testing companion package, which brings the sandbox: ' +
        '`npm install --save-dev dollr-native-testing`',
    );
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return require('dollr-native-testing');
}

module.exports = load();
