#!/usr/bin/env node
// Reports the addon's size and how long `require("dollr-native")` takes in a fresh process
// (median of several runs), for the README. Run after `node bindings-node/build.mjs --release`
// (`make node-release`).

import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

for (const name of readdirSync(here).filter((n) => n.endsWith('.node'))) {
  const bytes = statSync(join(here, name)).size;
  console.log(`${name}: ${(bytes / 1e6).toFixed(2)} MB (${bytes} bytes)`);
}

const probe = `
const started = process.hrtime.bigint();
require(${JSON.stringify(root)});
const loaded = process.hrtime.bigint();
new (require(${JSON.stringify(root)}).Client)({ baseUrl: 'http://127.0.0.1:9', clientId: 'a', clientSecret: 'b' });
const constructed = process.hrtime.bigint();
console.log(JSON.stringify({ require: Number(loaded - started) / 1e6, client: Number(constructed - loaded) / 1e6 }));
`;
const runs = Array.from({ length: 9 }, () => JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' })));
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`require("dollr-native"): ${median(runs.map((r) => r.require)).toFixed(1)} ms (median of ${runs.length} fresh processes)`);
console.log(`first new Client(): ${median(runs.map((r) => r.client)).toFixed(1)} ms`);
