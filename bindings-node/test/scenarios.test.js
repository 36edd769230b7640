'use strict';
// The shared conformance scenarios (tests/scenarios/*.json, format in tests/scenarios/README.md),
// each against a fresh in-process sandbox configured as the scenario says: the same files the Rust,
// Python and Kotlin suites run, so the SDKs are proven to behave identically.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { DollrError } = require('dollr-native');
const { withSandbox, FAST, PASSCODE_PHONE } = require('./fixtures.js');

const DIR = path.join(__dirname, '..', '..', 'tests', 'scenarios');
const FORMAT = path.join(DIR, 'format');
// The format's one definition, shared by every runner (README, "The schema").
const SCHEMA = JSON.parse(fs.readFileSync(path.join(FORMAT, 'schema.json'), 'utf8'));
const FLOWS = SCHEMA.properties.flow.enum;
// The JSON Schema keywords the runners implement; a schema using another is refused.
const SCHEMA_KEYWORDS = new Set([
  '$schema', '$id', '$defs', 'title', 'description', '$ref', 'type', 'const', 'enum', 'minimum', 'minLength',
  'pattern', 'required', 'properties', 'additionalProperties', 'items', 'allOf', 'anyOf', 'if', 'then',
]);

function typeName(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value; // boolean, string, object
}

function hasType(value, wanted) {
  const actual = typeName(value);
  return actual === wanted || (wanted === 'number' && actual === 'integer');
}

const shown = (where) => where || 'the scenario';
const at = (where, key) => (where ? `${where}.${key}` : key);

/**
 * Validates `value` against `schema` (the subset of JSON Schema in SCHEMA_KEYWORDS), pushing one
 * message per violation, each naming where it is and what is wrong.
 */
function validate(schema, value, where, errors) {
  for (const keyword of Object.keys(schema)) {
    if (!SCHEMA_KEYWORDS.has(keyword)) errors.push(`the schema uses \`${keyword}\`, which the runners do not implement`);
  }
  if (schema.$ref !== undefined) {
    const name = schema.$ref.replace(/^#\/\$defs\//, '');
    if (SCHEMA.$defs[name] === undefined) errors.push(`the schema refers to an unknown ${schema.$ref}`);
    else validate(SCHEMA.$defs[name], value, where, errors);
  }
  if (schema.type !== undefined) {
    const names = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!names.some((name) => hasType(value, name))) {
      errors.push(`${shown(where)}: expected ${names.join(' or ')}, got ${typeName(value)} ${JSON.stringify(value)}`);
      return;
    }
  }
  if (schema.const !== undefined && !util.isDeepStrictEqual(schema.const, value)) {
    errors.push(`${shown(where)}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  }
  if (schema.enum !== undefined && !schema.enum.some((known) => util.isDeepStrictEqual(known, value))) {
    errors.push(`${shown(where)}: unknown value ${JSON.stringify(value)} (known: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')})`);
  }
  if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum) {
    errors.push(`${shown(where)}: ${value} is below ${schema.minimum}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) errors.push(`${shown(where)}: shorter than ${schema.minLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${shown(where)}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
  }
  if (typeName(value) === 'object') {
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(value, key)) errors.push(`${shown(where)}: missing required key \`${key}\``);
    }
    const properties = schema.properties ?? {};
    const extra = schema.additionalProperties ?? true;
    for (const [key, child] of Object.entries(value)) {
      if (Object.hasOwn(properties, key)) validate(properties[key], child, at(where, key), errors);
      else if (extra === false) errors.push(`${shown(where)}: unknown key \`${key}\` (known: ${Object.keys(properties).join(', ')})`);
      else if (typeof extra === 'object') validate(extra, child, at(where, key), errors);
    }
  }
  if (schema.items !== undefined && Array.isArray(value)) {
    value.forEach((item, index) => validate(schema.items, item, `${where}[${index}]`, errors));
  }
  for (const part of schema.allOf ?? []) validate(part, value, where, errors);
  if (schema.anyOf !== undefined) {
    const reasons = [];
    const matched = schema.anyOf.some((choice) => {
      const found = [];
      validate(choice, value, where, found);
      reasons.push(found.join('; '));
      return found.length === 0;
    });
    if (!matched) errors.push(`${shown(where)}: ${JSON.stringify(value)} matches none of its allowed forms (${reasons.join(' | ')})`);
  }
  if (schema.if !== undefined) {
    const found = [];
    validate(schema.if, value, where, found);
    if (found.length === 0 && schema.then !== undefined) validate(schema.then, value, where, errors);
  }
}

/** Refuses a scenario the format does not describe, naming every problem. */
function checkFormat(file, scenario) {
  const errors = [];
  validate(SCHEMA, scenario, '', errors);
  if (errors.length === 0 && scenario.name !== path.basename(file, '.json')) errors.push(`name ${scenario.name} differs from the file name`);
  if (errors.length > 0) throw new Error(`${path.basename(file)}:\n  ${errors.join('\n  ')}`);
}

/** The format's `{"$number": text}` as JavaScript holds a number natively (NaN, ±Infinity included). */
function native(value) {
  return typeName(value) === 'object' ? Number(value.$number) : value;
}

/**
 * A validation field as the format compares it (README): dotted snake_case segments, no leading
 * `options` segment, no unit suffix (`_ms`, `_secs`).
 */
function fieldKey(field) {
  const segments = String(field)
    .split('.')
    .map((segment) => segment.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
  if (segments.length > 1 && segments[0] === 'options') segments.shift();
  segments[segments.length - 1] = segments[segments.length - 1].replace(/_(ms|secs|seconds)$/, '');
  return segments.join('.');
}

/** Money is a decimal string in scenarios, never a JSON number; `{"$number": ...}` gives the API a native number on purpose. */
function money(value, what) {
  if (typeName(value) === 'object') return native(value);
  assert.equal(typeof value, 'string', `${what} must be a decimal string`);
  assert.match(value, /^-?\d+(\.\d+)?$/, `${what}: ${value} is not a decimal`);
  return value;
}

/** A decimal string's value, normalized ("40.00" → "40", "0.50" → "0.5"): compared as text, never as a float. */
function decimalValue(text) {
  const [, sign, whole, fraction = ''] = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text)) ?? [];
  if (whole === undefined) return `not a decimal: ${text}`;
  const digits = whole.replace(/^0+(?=\d)/, '');
  const decimals = fraction.replace(/0+$/, '');
  const body = decimals ? `${digits}.${decimals}` : digits;
  return body === '0' ? '0' : `${sign}${body}`;
}

function flowOptions(scenario) {
  return {
    ...FAST,
    waitTimeoutMs: native(scenario.options?.wait_timeout_ms ?? 30_000),
    pollIntervalMs: native(scenario.options?.poll_interval_ms ?? 10),
  };
}

function collectArgs(input, order, options) {
  const args = {
    phone: input.phone,
    currency: input.currency,
    payerName: input.payer_name,
    payerEmail: input.payer_email,
    payCurrency: input.pay_currency,
    feeBearer: input.fee_bearer,
    predictFees: input.predict_fees,
    note: input.note,
    ...options,
  };
  if (Array.isArray(input.items)) {
    args.items = input.items.map((item) => ({ name: item.name, qty: native(item.qty), amount: money(item.amount, 'items[].amount') }));
  } else {
    args.amount = money(input.amount, 'amount');
  }
  if (order) args.sourceType = 'ORDER';
  return args;
}

function recordExecution(observed, outcome) {
  observed.status = outcome.execution.status;
  observed.gatewayMessage = outcome.execution.gatewayMessage;
  observed.walletMessage = outcome.execution.walletMessage;
  observed.transitions = outcome.transitions.map((t) => t.to);
}

/** Runs the scenario's flow; an error of the SDK is an observation, anything else a test failure. */
async function runFlow(scenario, sandbox, client) {
  const input = scenario.input;
  const options = flowOptions(scenario);
  const observed = {};
  const attempt = async (fn) => {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof DollrError)) throw error;
      observed.error = error;
      return undefined;
    }
  };
  switch (scenario.flow) {
    case 'collect':
    case 'collect_order': {
      const outcome = await attempt(() => client.collect(collectArgs(input, scenario.flow === 'collect_order', options)));
      if (outcome) {
        recordExecution(observed, outcome);
        observed.receipt = outcome.receipt !== undefined;
        observed.source = { sourceType: outcome.sourceType, sourceId: outcome.sourceId };
        observed.feePrediction = outcome.feePrediction !== undefined;
        observed.paymentMethod = outcome.provider.paymentMethod;
        observed.payCurrency = outcome.payCurrency;
        observed.totalAmount = outcome.totalAmount;
        observed.sourceNumber = outcome.sourceNumber;
      }
      break;
    }
    case 'payout': {
      const outcome = await attempt(() =>
        client.payout({
          phone: input.phone,
          recipientName: input.recipient_name,
          amount: money(input.amount, 'amount'),
          currency: input.currency,
          passcode: { code: scenario.client?.passcode ?? sandbox.passcode, phone: PASSCODE_PHONE },
          ...options,
        }),
      );
      if (outcome) recordExecution(observed, outcome);
      break;
    }
    case 'hosted_checkout': {
      const items = Array.isArray(input.items)
        ? input.items.map((item) => ({ name: item.name, currency: input.currency, amount: money(item.amount, 'items[].amount') }))
        : [{ name: 'Payment', currency: input.currency, amount: money(input.amount, 'amount') }];
      const checkout = await attempt(() =>
        client.hostedCheckout({
          phone: input.phone,
          payerName: input.payer_name,
          currency: input.currency,
          items,
          successUrl: input.success_url,
          cancelUrl: input.cancel_url,
        }),
      );
      if (!checkout) break;
      observed.source = { sourceType: checkout.sourceType, sourceId: checkout.sourceId };
      observed.totalAmount = checkout.totalAmount;
      observed.sourceNumber = checkout.sourceNumber;
      const before = await client.verifyPaid({ sourceType: checkout.sourceType, sourceId: checkout.sourceId });
      observed.paidBeforePayment = before.paid;
      if (input.pay_with) {
        const answer = await fetch(`${checkout.url}/pay`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ phone: input.pay_with }),
        });
        assert.ok(answer.ok, `paying on the hosted page answered ${answer.status}`);
      }
      const waited = await attempt(() =>
        client.waitSourcePaid({
          sourceType: checkout.sourceType,
          sourceId: checkout.sourceId,
          timeoutMs: options.waitTimeoutMs,
          pollIntervalMs: options.pollIntervalMs,
          maxPollIntervalMs: 100,
        }),
      );
      if (waited) {
        observed.paid = waited.paid;
        observed.timedOut = waited.timedOut;
      }
      break;
    }
    case 'transfer': {
      const wallet = (await sandbox.wallets()).find((w) => w.currency === input.from_wallet_currency);
      assert.ok(wallet, `no ${input.from_wallet_currency} wallet in the sandbox`);
      const party = await client.parties.create({ fullname: input.to_name, phone: input.to_phone });
      const counterparty = await client.counterparties.create({ relationshipType: 'BENEFICIARY', partyId: party.id });
      const outcome = await attempt(() =>
        client.transfer({
          fromWalletId: wallet.id,
          toCounterpartyId: counterparty.id,
          amount: money(input.amount, 'amount'),
          currency: input.currency,
          ...options,
        }),
      );
      if (outcome) recordExecution(observed, outcome);
      break;
    }
    case 'refund': {
      const original = await client.collect(collectArgs(input.original, false, options));
      assert.equal(original.execution.status, 'COMPLETED', 'the original collection must complete');
      const intent = (await sandbox.paymentIntents()).find((i) => i.reference_id === original.referenceId);
      assert.ok(intent, 'the original collection has no payment intent in the sandbox');
      const outcome = await attempt(() =>
        client.refund({ originalPaymentIntentId: intent.id, amount: money(input.amount, 'amount'), reason: input.reason, ...options }),
      );
      if (outcome) recordExecution(observed, outcome);
      break;
    }
    default:
      assert.fail(`unknown flow ${scenario.flow}`);
  }
  return observed;
}

function contains(problems, what, haystack, needle) {
  if (typeof haystack !== 'string' || !haystack.toLowerCase().includes(String(needle).toLowerCase())) {
    problems.push(`${what}: expected to contain ${JSON.stringify(needle)}, got ${JSON.stringify(haystack)}`);
  }
}

function same(problems, what, expected, actual) {
  try {
    assert.deepEqual(actual, expected);
  } catch {
    problems.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/**
 * `expect.transitions` as the README compares it: the first and the last status exactly, and what
 * was observed is a subsequence of the list (in its order, nothing outside it, nothing twice). A
 * status the sandbox holds only briefly (`PROCESSING`, half the settle time) is missed when the
 * process is descheduled across it, so the statuses in between may be absent, never extra.
 */
function transitionsMatch(expected, observed) {
  let next = 0;
  for (const status of observed) {
    while (next < expected.length && expected[next] !== status) next += 1;
    if (next === expected.length) return false;
    next += 1;
  }
  return observed[0] === expected[0] && observed[observed.length - 1] === expected[expected.length - 1];
}

async function checkExpectations(scenario, sandbox, client, observed) {
  const expect = scenario.expect;
  const stats = await sandbox.stats();
  const problems = [];

  // Invariants of every scenario.
  same(problems, 'duplicate_payments (always 0)', 0, stats.duplicate_payments);
  const created = Object.values(stats.executions.by_reference_id ?? {}).filter((e) => e.created === true).length;
  same(problems, 'one execution per reference id', stats.executions.created, created);

  if (observed.error && expect.outcome === 'ok') problems.push(`expected an outcome, got the error ${observed.error.code}: ${observed.error.message}`);
  if (!observed.error && expect.outcome === 'error') problems.push(`expected an error, got an outcome ${JSON.stringify(observed)}`);
  if (observed.error) {
    if (expect.error_kind !== undefined) same(problems, 'error_kind', expect.error_kind, observed.error.code);
    if (expect.error_field !== undefined) {
      const reported = observed.error.details[0]?.field;
      same(problems, 'error_field (compared as README says)', fieldKey(expect.error_field), reported === undefined ? undefined : fieldKey(reported));
    }
    if (expect.error_message_contains !== undefined) contains(problems, 'error_message_contains', observed.error.message, expect.error_message_contains);
    if (expect.error_reference_id !== undefined) {
      if (expect.error_reference_id !== 'the_execution') problems.push(`error_reference_id: unknown value ${JSON.stringify(expect.error_reference_id)}`);
      // The sandbox's one execution, and the id the error tells the caller to resume.
      else same(problems, 'error_reference_id', Object.keys(stats.executions.by_reference_id ?? {}), [observed.error.referenceId]);
    }
  }
  if (expect.status !== undefined) same(problems, 'status', expect.status, observed.status);
  if (expect.transitions !== undefined && !transitionsMatch(expect.transitions, observed.transitions)) {
    problems.push(`transitions: expected ${JSON.stringify(expect.transitions)} (first and last exactly, those between may be missed), got ${JSON.stringify(observed.transitions)}`);
  }
  if (expect.gateway_message_contains !== undefined) contains(problems, 'gateway_message_contains', observed.gatewayMessage, expect.gateway_message_contains);
  if (expect.wallet_message_contains !== undefined) contains(problems, 'wallet_message_contains', observed.walletMessage, expect.wallet_message_contains);
  for (const [key, actual] of [
    ['receipt', observed.receipt],
    ['fee_prediction', observed.feePrediction],
    ['paid_before_payment', observed.paidBeforePayment],
    ['paid', observed.paid],
    ['timed_out', observed.timedOut],
  ]) {
    if (expect[key] !== undefined) same(problems, key, expect[key], actual);
  }
  if (expect.payment_method !== undefined) same(problems, 'payment_method', expect.payment_method, observed.paymentMethod);
  if (expect.pay_currency !== undefined) same(problems, 'pay_currency', expect.pay_currency, observed.payCurrency);
  if (expect.total_amount !== undefined) {
    assert.equal(typeof observed.totalAmount, 'string', 'total amounts come back as decimal strings');
    same(problems, 'total_amount', decimalValue(money(expect.total_amount, 'expect.total_amount')), decimalValue(observed.totalAmount));
  }
  if (expect.source_number_prefix !== undefined && !String(observed.sourceNumber ?? '').startsWith(expect.source_number_prefix)) {
    problems.push(`source_number_prefix: expected ${expect.source_number_prefix}, got ${observed.sourceNumber}`);
  }
  if (expect.source_status !== undefined) {
    if (!observed.source) problems.push('source_status: the flow produced no document');
    else {
      const info = await client.status.source(observed.source);
      same(problems, 'source_status', expect.source_status, info.status);
    }
  }
  if (expect.executions !== undefined) same(problems, 'executions', expect.executions, stats.executions.created);
  if (expect.execution_posts !== undefined) {
    const posts = Object.entries(stats.requests.by_route ?? {})
      .filter(([route]) => route.startsWith('POST /v1/executions/'))
      .reduce((sum, [, count]) => sum + count, 0);
    same(problems, 'execution_posts', expect.execution_posts, posts);
  }
  if (expect.requests_sent !== undefined) same(problems, 'requests_sent', expect.requests_sent, stats.requests.total);
  for (const [kind, count] of Object.entries(expect.faults_fired ?? {})) {
    const fired = stats.faults?.[kind] ?? 0;
    if (fired < count) problems.push(`faults_fired.${kind}: expected at least ${count}, fired ${fired}`);
  }
  if (expect.duplicate_payments !== undefined) same(problems, 'duplicate_payments', expect.duplicate_payments, stats.duplicate_payments);
  return problems;
}

const files = fs
  .readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .sort();

const invalid = fs
  .readdirSync(path.join(FORMAT, 'invalid'))
  .filter((name) => name.endsWith('.json'))
  .sort();
const mustName = JSON.parse(fs.readFileSync(path.join(FORMAT, 'invalid.json'), 'utf8'));

test('every broken scenario is refused, naming what is wrong (and never run)', () => {
  assert.deepEqual(Object.keys(mustName).sort(), invalid.map((f) => path.basename(f, '.json')));
  for (const file of invalid) {
    const scenario = JSON.parse(fs.readFileSync(path.join(FORMAT, 'invalid', file), 'utf8'));
    const wanted = mustName[path.basename(file, '.json')];
    assert.throws(() => checkFormat(file, scenario), (error) => error.message.includes(wanted), `${file}: refused naming ${wanted}`);
  }
});

test('transitions compare as the README says', () => {
  // The cases every runner checks (format/transitions.json).
  const { cases } = JSON.parse(fs.readFileSync(path.join(FORMAT, 'transitions.json'), 'utf8'));
  assert.ok(cases.length > 0);
  for (const { expected, observed, match } of cases) {
    assert.equal(transitionsMatch(expected, observed), match, JSON.stringify({ expected, observed }));
  }
});

test('the scenarios are there and cover every flow', () => {
  assert.ok(files.length >= 20, `expected the conformance scenarios in ${DIR}`);
  const flows = new Set(files.map((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')).flow));
  for (const flow of FLOWS) assert.ok(flows.has(flow), `no scenario for the ${flow} flow`);
});

test('every scenario behaves as it says', { concurrency: true }, async (t) => {
  await Promise.all(
    files.map((file) =>
      t.test(path.basename(file, '.json'), async () => {
        const scenario = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
        checkFormat(file, scenario);
        const settings = scenario.sandbox ?? {};
        const wallets = settings.wallets
          ? Object.fromEntries(Object.entries(settings.wallets).map(([code, balance]) => [code, money(balance, `wallets.${code}`)]))
          : undefined;
        await withSandbox({ settleMs: settings.settle_ms ?? 20, verified: settings.verified, wallets, faults: settings.faults }, async (sandbox, client) => {
          const observed = await runFlow(scenario, sandbox, client);
          const problems = await checkExpectations(scenario, sandbox, client, observed);
          assert.deepEqual(problems, [], `${scenario.name}:\n    ${problems.join('\n    ')}`);
        });
      }),
    ),
  );
});
