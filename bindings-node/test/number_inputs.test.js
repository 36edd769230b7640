'use strict';
// Every number the SDK takes from JS — durations, counts, ids, factors and amounts, as call
// arguments (positional, named, nested), client options and sandbox options — is refused with a
// ValidationError naming the argument as JS spells it when JSON could not carry it faithfully
// (NaN and ±Infinity would arrive as `null`, "not given"; whole numbers beyond 2^53 are not the
// number written), when it is negative, or when it is not a number at all. Cyclic arguments get
// the same typed error instead of a RangeError. Nothing is sent for any of them.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Client, ValidationError, testNumbers } = require('dollr-native');
const { startSandbox } = require('dollr-native/testing');
const { FAST, PASSCODE_PHONE } = require('./fixtures.js');

const HUGE = 2 ** 53; // Number.MAX_SAFE_INTEGER + 1: the first whole number JS cannot tell from its neighbour

/** Bad values for a number argument, by what is wrong with them. */
const NOT_NUMBERS = [
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['a string', '5'],
  ['a boolean', true],
  ['an object', { value: 5 }],
  ['huge', HUGE],
  ['huger', 1e300],
];
const BAD_COUNTS = [...NOT_NUMBERS, ['negative', -1], ['fractional', 1.5], ['a huge bigint', 2n ** 64n], ['a negative bigint', -1n]];
const BAD_FACTORS = [...NOT_NUMBERS, ['negative', -1]];
// A decimal string is the preferred amount and is the core's to judge, so strings are not here.
const BAD_AMOUNTS = NOT_NUMBERS.filter(([what]) => what !== 'a string');

/** @type {import('dollr-native/testing').Sandbox} */
let sandbox;
/** @type {import('dollr-native').Client} */
let client;
test.before(async () => {
  sandbox = await startSandbox({ settleMs: 20 });
  client = sandbox.client({ maxRetries: 0 });
});
test.after(() => sandbox?.stop());

function collectArgs(extra) {
  return { phone: testNumbers.completes, payerName: 'Amara Kamara', currency: 'USD', amount: '1.00', ...FAST, ...extra };
}

/** The argument classes: where a number goes, and how a call carrying `value` there is made. */
const CASES = [
  // durations (per-call options of a flow, of status.wait, and nested in executePolicy)
  { field: 'waitTimeoutMs', bad: BAD_COUNTS, call: (v) => client.collect(collectArgs({ waitTimeoutMs: v })) },
  { field: 'pollIntervalMs', bad: BAD_COUNTS, call: (v) => client.collect(collectArgs({ pollIntervalMs: v })) },
  { field: 'maxPollIntervalMs', bad: BAD_COUNTS, call: (v) => client.payout({ phone: testNumbers.completes, recipientName: 'Musu', amount: '1.00', currency: 'USD', passcode: { code: sandbox.passcode, phone: PASSCODE_PHONE }, ...FAST, maxPollIntervalMs: v }) },
  { field: 'timeoutMs', bad: BAD_COUNTS, call: (v) => client.status.wait('6f1c1d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f', { operation: 'COLLECTION', timeoutMs: v }) },
  { field: 'executePolicy.maxBackoffMs', bad: BAD_COUNTS, call: (v) => client.collect(collectArgs({ executePolicy: { initialBackoffMs: 10, maxBackoffMs: v } })) },
  // counts
  { field: 'maxNotFound', bad: BAD_COUNTS, call: (v) => client.status.wait('6f1c1d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f', { operation: 'COLLECTION', maxNotFound: v }) },
  { field: 'stepRetries', bad: BAD_COUNTS, call: (v) => client.collect(collectArgs({ stepRetries: v })) },
  { field: 'qty', bad: BAD_COUNTS, call: (v) => client.invoices.addItem(1, { name: 'Rice', qty: v, amount: '1.00', currency: 'USD' }) },
  // ids: positional, named, and in a nested list
  { field: 'id', location: 'path', bad: BAD_COUNTS, call: (v) => client.parties.retrieve(v) },
  { field: 'itemId', location: 'path', bad: BAD_COUNTS, call: (v) => client.invoices.removeItem(1, v) },
  { field: 'partyId', bad: BAD_COUNTS, call: (v) => client.collect(collectArgs({ partyId: v })) },
  { field: 'items.1.qty', bad: BAD_COUNTS, call: (v) => client.collect(collectArgs({ amount: undefined, items: [{ name: 'a', qty: 1, amount: '1.00' }, { name: 'b', qty: v, amount: '1.00' }] })) },
  // a factor
  { field: 'backoffFactor', bad: BAD_FACTORS, call: (v) => client.status.wait('6f1c1d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f', { operation: 'COLLECTION', backoffFactor: v }) },
  // amounts: a flow's, a resource's, a query's, and one inside a list
  { field: 'amount', bad: BAD_AMOUNTS, call: (v) => client.collect(collectArgs({ amount: v })) },
  { field: 'amount', bad: BAD_AMOUNTS, call: (v) => client.invoices.addItem(1, { name: 'Rice', qty: 1, amount: v, currency: 'USD' }) },
  { field: 'baseAmount', location: 'query', bad: BAD_AMOUNTS, call: (v) => client.predictions.amountAndFees({ baseAmount: v, baseCurrency: 'USD', targetCurrency: 'USD', paymentMethod: 'MTN_MOMO_LBR', provider: 'MTN_MOMO_LBR', operationType: 'COLLECTION', feeBearer: 'PAYER' }) },
  { field: 'items.0.amount', bad: BAD_AMOUNTS, call: (v) => client.collect(collectArgs({ amount: undefined, items: [{ name: 'a', qty: 1, amount: v }] })) },
];

/** Asserts `error` is the typed refusal of `field`, located where the API takes it. */
function refuses(field, what, location = 'body') {
  return (error) => {
    assert.ok(error instanceof ValidationError, `${field} = ${what}: expected a ValidationError, got ${error?.name}: ${error?.message}`);
    assert.equal(error.code, 'Validation');
    assert.equal(error.details.length, 1);
    assert.equal(error.details[0].field, field, `${field} = ${what}: ${error.message}`);
    // `loc` in the API's terms (snake_case), `field` as JavaScript spells it.
    const apiName = (segment) => segment.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    assert.deepEqual(error.details[0].loc, [location, ...field.split('.').map(apiName)]);
    assert.ok(error.message.includes(`\`${field}\``), `the message names ${field}: ${error.message}`);
    return true;
  };
}

test('every bad number of every argument class is a ValidationError naming the argument, and nothing is sent', async () => {
  const before = (await sandbox.stats()).requests.total;
  let checked = 0;
  for (const { field, location, bad, call } of CASES) {
    for (const [what, value] of bad) {
      const answer = call(value);
      assert.ok(answer instanceof Promise, 'a refusal is a rejected Promise, never a synchronous throw');
      await assert.rejects(answer, refuses(field, what, location));
      checked += 1;
    }
  }
  assert.equal((await sandbox.stats()).requests.total, before, 'nothing was sent');
  assert.ok(checked > 150, `${checked} cases`);
});

test('NaN in a wait timeout is not "not given": the flow is refused before it starts', async () => {
  // NaN used to become JSON null, which the core reads as "use the default"; the flow then ran.
  const before = (await sandbox.stats()).executions.created;
  await assert.rejects(client.collect(collectArgs({ waitTimeoutMs: NaN })), refuses('waitTimeoutMs', 'NaN'));
  assert.equal((await sandbox.stats()).executions.created, before);
});

test('an amount of NaN is reported against `amount`, not `items`', async () => {
  await assert.rejects(client.collect(collectArgs({ amount: NaN })), refuses('amount', 'NaN'));
});

test('good numbers still pass: zero, bigints in range, exact amounts as numbers and decimal objects', async () => {
  const party = await client.parties.create({ fullname: 'Musu Doe', phone: testNumbers.completes });
  assert.equal((await client.parties.retrieve(BigInt(party.id))).id, party.id);
  const outcome = await client.collect(collectArgs({ amount: 2.5, partyId: party.id, stepRetries: 0 }));
  assert.equal(outcome.execution.status, 'COMPLETED');
  assert.equal(outcome.totalAmount, '2.50');
  // A decimal library's value (anything with a toJSON giving the decimal text) is an exact amount.
  class Decimal {
    constructor(text) {
      this.text = text;
    }
    toJSON() {
      return this.text;
    }
  }
  const exact = await client.collect(collectArgs({ amount: new Decimal('3.10') }));
  assert.equal(exact.totalAmount, '3.10');
  const waited = await client.status.wait(outcome.referenceId, { operation: 'COLLECTION', timeoutMs: 10_000, backoffFactor: 1.5, maxNotFound: 0 });
  assert.equal(waited.execution.status, 'COMPLETED');
});

test('a negative amount is the core\'s to refuse, and its field is spelled the JS way too', async () => {
  await assert.rejects(
    client.predictions.amountAndFees({ baseAmount: '-5.00', baseCurrency: 'USD', targetCurrency: 'USD', paymentMethod: 'MTN_MOMO_LBR', provider: 'MTN_MOMO_LBR', operationType: 'COLLECTION', feeBearer: 'PAYER' }),
    (error) => {
      assert.ok(error instanceof ValidationError, String(error));
      assert.equal(error.details[0].field, 'baseAmount', error.message);
      return true;
    },
  );
});

test('client options: a bad timeoutMs or maxRetries throws a ValidationError naming it', () => {
  const base = { baseUrl: sandbox.url, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret };
  for (const [field, bad] of [['timeoutMs', BAD_COUNTS], ['maxRetries', BAD_COUNTS]]) {
    for (const [what, value] of bad) {
      assert.throws(() => new Client({ ...base, [field]: value }), refuses(field, what));
    }
  }
  // Zero and ordinary values are fine.
  assert.equal(new Client({ ...base, timeoutMs: 5000, maxRetries: 0 }).baseUrl, sandbox.url);
});

test('sandbox options and controls: bad numbers are ValidationErrors naming them', async () => {
  const before = (await sandbox.stats()).requests.total;
  for (const [what, value] of BAD_COUNTS) {
    await assert.rejects(startSandbox({ settleMs: value }), refuses('settleMs', what));
    await assert.rejects(sandbox.advanceClock(value), refuses('ms', what));
  }
  for (const [what, value] of BAD_AMOUNTS) {
    await assert.rejects(startSandbox({ wallets: { USD: value } }), refuses('wallets.USD', what));
    await assert.rejects(sandbox.setWalletBalance('USD', value), refuses('balance', what));
  }
  assert.equal((await sandbox.stats()).requests.total, before, 'nothing was sent');
});

test('cyclic arguments are a ValidationError naming where the cycle is, not a RangeError', async () => {
  const before = (await sandbox.stats()).requests.total;
  const looped = { name: 'a', qty: 1, amount: '1.00' };
  looped.self = looped;
  await assert.rejects(client.collect(collectArgs({ amount: undefined, items: [looped] })), refuses('items.0.self', 'cyclic'));

  const list = [];
  list.push(list);
  await assert.rejects(client.collect(collectArgs({ extra: list })), refuses('extra.0', 'cyclic'));

  const policy = { initialBackoffMs: 10 };
  policy.again = { policy };
  await assert.rejects(client.collect(collectArgs({ executePolicy: policy })), refuses('executePolicy.again.policy', 'cyclic'));

  const args = collectArgs({});
  args.args = args;
  await assert.rejects(client.collect(args), refuses('args.args', 'cyclic'));

  const options = { baseUrl: sandbox.url };
  options.more = options;
  assert.throws(() => new Client(options), refuses('more', 'cyclic'));

  // Deep but finite nesting is refused by name too, rather than exhausting the stack.
  let deep = {};
  const root = deep;
  for (let i = 0; i < 10_000; i += 1) deep = deep.next = {};
  await assert.rejects(client.collect(collectArgs({ nested: root })), (error) => {
    assert.ok(error instanceof ValidationError, String(error));
    assert.match(error.details[0].field, /^nested(\.next)+$/);
    return true;
  });
  assert.equal((await sandbox.stats()).requests.total, before, 'nothing was sent');
});

test('a value shared by two arguments is not a cycle', async () => {
  const shared = { initialBackoffMs: 10, maxBackoffMs: 100 };
  const outcome = await client.collect(collectArgs({ executePolicy: shared, extra: undefined }));
  assert.equal(outcome.execution.status, 'COMPLETED');
  const item = { name: 'Rice', qty: 1, amount: '1.00' };
  const twice = await client.collect(collectArgs({ amount: undefined, items: [item, item] }));
  assert.equal(twice.totalAmount, '2.00');
});
