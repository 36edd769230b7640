#!/usr/bin/env node
// One Node contender of `make bench`, speaking the driver's line protocol (bench/README.md).
//
//   node bench/node/contender.mjs --kind fetch|native|wasm --url URL [--concurrency C]
//
// fetch:  the Dollr quickstart's `fetch` code as written (Node's built-in fetch, i.e. undici,
//         with its default keep-alive agent), token once, then the collect flow.
// native: the dollr-native package (the napi-rs addon over dollr-core), one resource call per
//         request.
// wasm:   the same package and code on its WebAssembly engine (bindings-wasm, DOLLR_NATIVE_ENGINE=wasm:
//         what edge runtimes run), under Node.
// C flows run at once on one client; timing uses perf_hooks' performance.now().

import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    kind: { type: 'string' },
    url: { type: 'string' },
    concurrency: { type: 'string', default: '1' },
  },
});
const BASE_URL = args.url;
const CONCURRENCY = Number(args.concurrency);
const PHONE = '231771234567';
const MAX_POLLS = 10_000;

function say(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

// ---- the quickstart's fetch code ----------------------------------------------------------------

async function docsToken() {
  const { access_token } = await fetch(`${BASE_URL}/v1/jwt/client/obtain/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      client_id: 'dollr_test_client',
      client_secret: 'dollr_test_secret',
    }),
  }).then((r) => r.json());

  return {
    Authorization: `Bearer ${access_token}`,
    'Content-Type': 'application/json',
  };
}

/* eslint-disable */
async function docsFlow(headers) {
  const party = await fetch(`${BASE_URL}/v1/parties/create`, {
    method: "POST", headers,
    body: JSON.stringify({
      fullname:     "Amara Kamara",
      phone:        "231771234567",
      email:        "amara@example.com",
      country_code: "LR",
    }),
  }).then(r => r.json());

  const partyId = party.id;

  const cp = await fetch(`${BASE_URL}/v1/counterparties/create`, {
    method: "POST", headers,
    body: JSON.stringify({ relationship_type: "CUSTOMER", party_id: partyId }),
  }).then(r => r.json());

  const counterpartyId = cp.id;

  // Create invoice
  const invoice = await fetch(`${BASE_URL}/v1/invoices/create`, {
    method: "POST", headers,
    body: JSON.stringify({
      counterparty_id: counterpartyId,
      currency:        "USD",
      note:            "Consulting services",
      fee_bearer:      "PAYER",
      as_payment_link: true,
    }),
  }).then(r => r.json());
  const invoiceId = invoice.id;

  // Add a line item
  await fetch(`${BASE_URL}/v1/invoices/${invoiceId}/items/add`, {
    method: "POST", headers,
    body: JSON.stringify({ name: "Strategy Session", currency: "USD", qty: 1, amount: 250.00 }),
  });

  // Publish
  const published = await fetch(`${BASE_URL}/v1/invoices/publish/${invoiceId}`, {
    method: "PUT", headers,
  }).then(r => r.json());

  // Detect payment method from phone
  const mmo = await fetch(
    `${BASE_URL}/v1/predictions/mmo-provider-info?phone=231771234567&operation_type=COLLECTION`,
    { headers: headers }
  ).then(r => r.json());

  // Create checkout session
  const session = await fetch(`${BASE_URL}/v1/sessions/checkout`, {
    method: "POST", headers,
    body: JSON.stringify({ source_id: invoiceId, source_type: "INVOICE" }),
  }).then(r => r.json());

  // Register customer wallet
  const account = await fetch(
    `${BASE_URL}/v1/payment-accounts/create?operation_type=COLLECTION`,
    {
      method: "POST", headers,
      body: JSON.stringify({
        account_name:               "Amara MTN Wallet",
        provider:                   mmo.gateway_provider,
        method:                     mmo.payment_method,
        party_id:                   partyId,
        country_code:               "LR",
        insensitive_account_number: "231771234567",
      }),
    }
  ).then(r => r.json());

  // Execute — generate and store reference_id BEFORE the call
  const referenceId = crypto.randomUUID();
  const execution = await fetch(`${BASE_URL}/v1/executions/collection`, {
    method: "POST", headers,
    body: JSON.stringify({
      session_id:         String(session.id),
      payment_account_id: String(account.id),
      currency:           "USD",
      reference_id:       referenceId,
    }),
  }).then(r => r.json());
  return referenceId;
}

async function docsStatus(headers, referenceId) {
  const status = await fetch(`${BASE_URL}/v1/status/collection/${referenceId}`, { headers })
    .then(r => r.json());
  return status.status;
}
/* eslint-enable */

// ---- dollr-native ----------------------------------------------------------------------------------

async function nativeFlow(client) {
  const party = await client.parties.create({
    fullname: 'Amara Kamara',
    phone: PHONE,
    email: 'amara@example.com',
    countryCode: 'LR',
  });
  const cp = await client.counterparties.create({ relationshipType: 'CUSTOMER', partyId: party.id });
  const invoice = await client.invoices.create({
    counterpartyId: cp.id,
    currency: 'USD',
    note: 'Consulting services',
    feeBearer: 'PAYER',
    asPaymentLink: true,
  });
  await client.invoices.addItem(invoice.id, {
    name: 'Strategy Session',
    currency: 'USD',
    qty: 1,
    amount: '250.00',
  });
  await client.invoices.publish(invoice.id);
  const mmo = await client.predictions.mmoProviderInfo({ phone: PHONE, operationType: 'COLLECTION' });
  const session = await client.sessions.checkout({ sourceId: invoice.id, sourceType: 'INVOICE' });
  const account = await client.paymentAccounts.create({
    operationType: 'COLLECTION',
    accountName: 'Amara MTN Wallet',
    provider: mmo.gatewayProvider,
    method: mmo.paymentMethod,
    partyId: party.id,
    countryCode: 'LR',
    insensitiveAccountNumber: PHONE,
  });
  // The SDK generates and journals the reference id before sending.
  const execution = await client.executions.collection({
    sessionId: session.id,
    paymentAccountId: account.id,
    currency: 'USD',
  });
  return execution.referenceId;
}

// ---- the contender -----------------------------------------------------------------------------------

async function setup(kind) {
  const versions = { node: process.versions.node };
  if (kind === 'fetch') {
    versions.undici = process.versions.undici ?? 'bundled';
    const headers = await docsToken(); // step 1, once
    return {
      versions,
      flow: () => docsFlow(headers),
      status: (ref) => docsStatus(headers, ref),
      invalid: null,
    };
  }
  if (kind === 'native' || kind === 'wasm') {
    // The engine is chosen when the package loads (bindings-node/lib/native.js).
    if (kind === 'wasm') process.env.DOLLR_NATIVE_ENGINE = 'wasm';
    const dollr = require('../../index.js');
    versions['dollr-native'] = require('../../package.json').version;
    const client = new dollr.Client({
      clientId: 'dollr_test_client',
      clientSecret: 'dollr_test_secret',
      baseUrl: BASE_URL,
    });
    return {
      versions,
      flow: () => nativeFlow(client),
      status: async (ref) => (await client.status.collection(ref)).status,
      invalid: () => client.parties.create({ fullname: '', phone: PHONE }),
      invalidError: dollr.ValidationError,
    };
  }
  throw new Error(`unknown kind ${kind}`);
}

async function one(contender) {
  const referenceId = await contender.flow();
  let polls = 0;
  for (;;) {
    polls += 1;
    const status = await contender.status(referenceId);
    if (status === 'COMPLETED') return polls;
    if (status === 'FAILED' || polls >= MAX_POLLS) {
      throw new Error(`collection ${referenceId} ended ${status} after ${polls} polls`);
    }
  }
}

async function round(contender, flows) {
  let remaining = flows;
  let polls = 0;
  const latencies = [];
  async function worker() {
    while (remaining > 0) {
      remaining -= 1;
      const begun = performance.now();
      const made = await one(contender);
      latencies.push((performance.now() - begun) * 1000);
      polls += made;
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { ok: true, flows, seconds, lat_us: latencies, polls };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function overhead(contender, calls, batches) {
  const referenceId = await contender.flow();
  const perCall = [];
  // The process's CPU time (user + system, all its threads) over the same batches.
  const cpuPerCall = [];
  for (let b = 0; b < batches; b += 1) {
    const begun = performance.now();
    const cpuBegun = process.cpuUsage();
    for (let i = 0; i < calls; i += 1) await contender.status(referenceId);
    perCall.push(((performance.now() - begun) * 1000) / calls);
    const cpu = process.cpuUsage(cpuBegun);
    cpuPerCall.push((cpu.user + cpu.system) / calls);
  }
  const result = { ok: true, status_us: median(perCall), status_cpu_us: median(cpuPerCall) };
  if (contender.invalid) {
    const validation = [];
    for (let b = 0; b < batches; b += 1) {
      const begun = performance.now();
      for (let i = 0; i < calls * 10; i += 1) {
        try {
          await contender.invalid();
          throw new Error('the invalid call was accepted');
        } catch (error) {
          if (!(error instanceof contender.invalidError)) throw error;
        }
      }
      validation.push(((performance.now() - begun) * 1000) / (calls * 10));
    }
    result.validation_us = median(validation);
  }
  return result;
}

let contender;
try {
  contender = await setup(args.kind);
} catch (error) {
  say({ ready: false, error: `${error?.name ?? 'Error'}: ${error?.message ?? error}` });
  process.exit(0);
}
say({ ready: true, versions: contender.versions });
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const command = JSON.parse(line);
  try {
    if (command.op === 'round') say(await round(contender, command.flows));
    else if (command.op === 'overhead') say(await overhead(contender, command.calls, command.batches));
    else if (command.op === 'collect_garbage') {
      if (typeof globalThis.gc !== 'function') throw new Error('collect_garbage needs node --expose-gc');
      globalThis.gc();
      say({ ok: true });
    }
    else if (command.op === 'trim_native_heap') {
      // glibc's malloc_trim needs native code; Node has no FFI of its own to call it. What V8
      // keeps for reuse is said instead: the pages its heap has committed and holds nothing in
      // after a full collection (the driver takes them off RSS, as a trim gives malloc's back).
      if (typeof globalThis.gc !== 'function') throw new Error('trim_native_heap needs node --expose-gc');
      globalThis.gc();
      const { heapTotal, heapUsed } = process.memoryUsage();
      say({
        ok: false,
        error: 'Node cannot call malloc_trim without native code',
        free_heap_kb: Math.max(0, Math.round((heapTotal - heapUsed) / 1024)),
      });
    }
    else say({ ok: false, error: `unknown op ${command.op}` });
  } catch (error) {
    say({ ok: false, error: `${error?.name ?? 'Error'}: ${error?.message ?? error}` });
  }
}
