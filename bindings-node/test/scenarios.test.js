'use strict';
// The shared conformance scenarios (tests/scenarios/*.json, format in tests/scenarios/README.md),
// each against a fresh in-process sandbox configured as the scenario says: the same files the Rust,
// Python and Kotlin suites run, so the SDKs are proven to behave identically.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { DollrError } = require('dollr-native');
const { withSandbox, FAST, PASSCODE_PHONE } = require('./fixtures.js');

const DIR = path.join(__dirname, '..', '..', 'tests', 'scenarios');
const FLOWS = ['collect', 'collect_order', 'payout', 'hosted_checkout', 'transfer', 'refund'];
const KEYS = {
  top: ['name', 'description', 'flow', 'sandbox', 'client', 'options', 'input', 'expect'],
  sandbox: ['settle_ms', 'verified', 'wallets', 'faults'],
  client: ['passcode'],
  options: ['wait_timeout_ms', 'poll_interval_ms'],
  expect: [
    'outcome', 'error_kind', 'error_field', 'error_message_contains', 'error_reference_id', 'status', 'transitions',
    'gateway_message_contains', 'wallet_message_contains', 'receipt', 'source_status',
    'fee_prediction', 'payment_method', 'pay_currency', 'total_amount', 'source_number_prefix',
    'paid_before_payment', 'paid', 'timed_out', 'executions', 'execution_posts', 'requests_sent',
    'faults_fired', 'duplicate_payments',
  ],
  collect: ['phone', 'payer_name', 'currency', 'amount', 'items', 'payer_email', 'pay_currency', 'fee_bearer', 'predict_fees', 'note'],
  payout: ['phone', 'recipient_name', 'amount', 'currency'],
  hosted_checkout: ['phone', 'payer_name', 'currency', 'amount', 'items', 'success_url', 'cancel_url', 'pay_with'],
  transfer: ['from_wallet_currency', 'to_name', 'to_phone', 'amount', 'currency'],
  refund: ['original', 'amount', 'reason'],
};

function onlyKeys(value, allowed, what) {
  if (value === undefined) return;
  assert.equal(typeof value, 'object', `${what} must be an object`);
  for (const key of Object.keys(value)) {
    assert.ok(allowed.includes(key), `unknown key \`${key}\` in ${what} (a typo must not weaken a scenario)`);
  }
}

/** Money is a decimal string in scenarios, never a JSON number. */
function money(value, what) {
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

function checkFormat(file, scenario) {
  onlyKeys(scenario, KEYS.top, 'the scenario');
  assert.equal(scenario.name, path.basename(file, '.json'), 'name must equal the file name');
  assert.ok(String(scenario.description ?? '').trim(), 'empty description');
  assert.ok(FLOWS.includes(scenario.flow), `unknown flow ${scenario.flow}`);
  onlyKeys(scenario.sandbox, KEYS.sandbox, 'sandbox');
  onlyKeys(scenario.client, KEYS.client, 'client');
  onlyKeys(scenario.options, KEYS.options, 'options');
  const inputKeys = scenario.flow === 'collect_order' ? KEYS.collect : KEYS[scenario.flow];
  onlyKeys(scenario.input, inputKeys, 'input');
  if (scenario.flow === 'refund') onlyKeys(scenario.input.original, KEYS.collect, 'input.original');
  onlyKeys(scenario.expect, KEYS.expect, 'expect');
  assert.ok(['ok', 'error'].includes(scenario.expect.outcome), 'expect.outcome must be "ok" or "error"');
}

function flowOptions(scenario) {
  return {
    ...FAST,
    waitTimeoutMs: scenario.options?.wait_timeout_ms ?? 30_000,
    pollIntervalMs: scenario.options?.poll_interval_ms ?? 10,
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
    args.items = input.items.map((item) => ({ name: item.name, qty: item.qty, amount: money(item.amount, 'items[].amount') }));
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
      const wallet = sandbox.wallets().find((w) => w.currency === input.from_wallet_currency);
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
      const intent = sandbox.paymentIntents().find((i) => i.reference_id === original.referenceId);
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

async function checkExpectations(scenario, sandbox, client, observed) {
  const expect = scenario.expect;
  const stats = sandbox.stats();
  const problems = [];

  // Invariants of every scenario.
  same(problems, 'duplicate_payments (always 0)', 0, stats.duplicate_payments);
  const created = Object.values(stats.executions.by_reference_id ?? {}).filter((e) => e.created === true).length;
  same(problems, 'one execution per reference id', stats.executions.created, created);

  if (observed.error && expect.outcome === 'ok') problems.push(`expected an outcome, got the error ${observed.error.code}: ${observed.error.message}`);
  if (!observed.error && expect.outcome === 'error') problems.push(`expected an error, got an outcome ${JSON.stringify(observed)}`);
  if (observed.error) {
    if (expect.error_kind !== undefined) same(problems, 'error_kind', expect.error_kind, observed.error.code);
    if (expect.error_field !== undefined) same(problems, 'error_field', expect.error_field, observed.error.details[0]?.field);
    if (expect.error_message_contains !== undefined) contains(problems, 'error_message_contains', observed.error.message, expect.error_message_contains);
    if (expect.error_reference_id !== undefined) {
      if (expect.error_reference_id !== 'the_execution') problems.push(`error_reference_id: unknown value ${JSON.stringify(expect.error_reference_id)}`);
      // The sandbox's one execution, and the id the error tells the caller to resume.
      else same(problems, 'error_reference_id', Object.keys(stats.executions.by_reference_id ?? {}), [observed.error.referenceId]);
    }
  }
  if (expect.status !== undefined) same(problems, 'status', expect.status, observed.status);
  if (expect.transitions !== undefined) same(problems, 'transitions', expect.transitions, observed.transitions);
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
