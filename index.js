'use strict';
// dollr-native: the Dollr payments API for Node.js. The code lives in bindings-node/lib.
module.exports = require('./bindings-node/lib/index.js');
