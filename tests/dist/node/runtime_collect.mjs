// The installed dollr-native on another JavaScript runtime, run by check.mjs: on Deno
// (`deno run --allow-net`) the `deno` condition's WebAssembly engine (bindings-wasm/js/
// engine_deno.mjs), with no permission but the network; on Bun the platform package's napi addon
// (Bun takes Node's conditions). It refuses bad input typed and takes a payment from the
// companion's sandbox, whose URL and credentials are the arguments. Prints one JSON line.
import { Client, testNumbers, ValidationError } from 'dollr-native';
import { collectChecked } from './scenario.mjs';

const [baseUrl, clientId, clientSecret] = globalThis.Deno ? Deno.args : process.argv.slice(2);
const client = new Client({ baseUrl, clientId, clientSecret });
let refusedTyped = false;
try {
  await client.parties.create({ fullname: '', phone: testNumbers.completes });
} catch (error) {
  refusedTyped = error instanceof ValidationError && error.details[0]?.field === 'fullname';
}
const collected = await collectChecked(client, testNumbers);
console.log(JSON.stringify({ refusedTyped, referenceId: collected.referenceId }));
