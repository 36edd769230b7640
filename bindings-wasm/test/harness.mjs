// How a Worker importing dollr-native is bundled and run inside workerd — shared by the engine's
// own tests (workerd.test.mjs, on this checkout) and by the check of the packed npm tarball
// (tests/dist/node/check.mjs, on an offline install of it), so both run the Worker the same way.
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

/**
 * Bundles `entry` as `wrangler deploy` would: the given package conditions (workerd's by
 * default), `.wasm` imports kept as modules beside the bundle. `dollr-native` is resolved from
 * `resolveFrom` (a project's folder) when given, else from the entry's own location.
 * @returns {Promise<string>} the bundle's path
 */
export async function bundleWorker(entry, outdir, { conditions = ['workerd', 'worker'], resolveFrom } = {}) {
  await build({
    entryPoints: [entry],
    outfile: join(outdir, 'worker.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions,
    loader: { '.wasm': 'copy' },
    logLevel: 'error',
    ...(resolveFrom ? { absWorkingDir: resolveFrom, nodePaths: [join(resolveFrom, 'node_modules')] } : {}),
  });
  return join(outdir, 'worker.mjs');
}

/**
 * A Miniflare (workerd) running the bundle `script` with the sandbox's URL and credentials as
 * bindings. Dispose it when done.
 */
export function startWorker(script, outdir, sandbox, options = {}) {
  return new Miniflare({
    modules: true,
    scriptPath: script,
    // Module names are paths relative to this root (the bundle's folder).
    modulesRoot: outdir,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-07-01',
    ...options,
    bindings: {
      DOLLR_BASE_URL: sandbox.url,
      DOLLR_CLIENT_ID: sandbox.clientId,
      DOLLR_CLIENT_SECRET: sandbox.clientSecret,
    },
  });
}
