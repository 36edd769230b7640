// The installed dollr-native on Deno (`deno run --allow-net`, run by check.mjs): the `deno`
// condition's WebAssembly engine (bindings-wasm/js/engine_deno.mjs), with no permission but the
// network, refuses bad input typed and takes a payment from the companion's sandbox (whose URL and
// credentials are the arguments). Prints one JSON line.
import { Client, testNumbers, ValidationError } from 'dollr-native';
import { collectChecked } from './scenario.mjs';

const [baseUrl, clientId, clientSecret] = Deno.args;
const client = new Client({ baseUrl, clientId, clientSecret });
let refusedTyped = false;
try {
  await client.parties.create({ fullname: '', phone: testNumbers.completes });
} catch (error) {
  refusedTyped = error instanceof ValidationError && error.details[0]?.field === 'fullname';
}
const collected = await collectChecked(client, testNumbers);
console.log(JSON.stringify({ refusedTyped, referenceId: collected.referenceId }));
