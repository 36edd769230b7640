#!/usr/bin/env node
'use strict';
// `npx dollr …` (`dollr sandbox`, `dollr demo`): runs the `dollr` binary of the platform
// companion `dollr-native-testing-<triple>`. npm's `bin` must be a file of this package, so this
// launcher starts the binary with the same arguments and standard streams, passes signals on,
// and exits as it does.

const { spawn } = require('node:child_process');
const { bundledBinary, PLATFORM_PACKAGE } = require('../binary.js');

const binary = bundledBinary();
if (!binary) {
  console.error(
    `dollr: ${PLATFORM_PACKAGE} is not installed, so there is no \`dollr\` binary for this platform ` +
      '(npm installs it with dollr-native-testing where it is published; reinstall without --omit=optional)',
  );
  process.exit(1);
}

const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of forwarded) process.on(signal, () => child.kill(signal));
child.on('error', (error) => {
  console.error(`dollr: could not run ${binary}: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    // Die of the same signal, as a shell expects of the command it ran.
    for (const name of forwarded) process.removeAllListeners(name);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
