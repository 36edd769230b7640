'use strict';
// Every operation of every resource and every flow, called through the generated JS surface
// against the in-process sandbox; the last test proves each operation of the schema was called.

const test = require('node:test');
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const native = require('../lib/native.js');
const { Secret, testNumbers, NotFoundError, ValidationError } = require('dollr-native');
const { startSandbox } = require('dollr-native/testing');
const { FAST, PASSCODE_PHONE, eventually } = require('./fixtures.js');

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'core', 'bridge-schema.json'), 'utf8'));

// Which bridge operations the tests in this file reach (recorded at the one native entry point).
const called = new Set();
const originalCall = native.NativeClient.prototype.call;
native.NativeClient.prototype.call = function recordingCall(operation, ...rest) {
  called.add(operation);
  return originalCall.call(this, operation, ...rest);
};

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** @type {import('dollr-native/testing').Sandbox} */
let sandbox;
/** @type {import('dollr-native').Client} */
let client;
const device = { clientIp: '127.0.0.1', name: 'tests', platform: 'linux', type: 'SERVER', userAgent: 'node --test' };
const state = {};

test.before(async () => {
  sandbox = await startSandbox({ settleMs: 20 });
  client = sandbox.client();
});
test.after(() => sandbox?.stop());

test('auth.obtainToken returns the token as a Secret', async () => {
  const token = await client.auth.obtainToken();
  assert.ok(token.accessToken instanceof Secret);
  assert.ok(token.accessToken.expose().length > 10);
  assert.equal(typeof token.expiresIn, 'number');
});

test('parties: create, list, retrieve (camelCase in and out)', async () => {
  const party = await client.parties.create({ fullname: 'Musu Doe', phone: testNumbers.completes, email: 'musu@example.com', countryCode: 'LR' });
  assert.equal(party.fullname, 'Musu Doe');
  assert.equal(party.countryCode, 'LR');
  assert.equal(typeof party.id, 'number');
  assert.match(party.createdAt, ISO);
  assert.ok(!('country_code' in party), 'no snake_case keys in results');
  assert.deepEqual(await client.parties.retrieve(party.id), party);
  const listed = await client.parties.list({ fullname: 'Musu Doe' });
  assert.ok(listed.some((p) => p.id === party.id));
  assert.ok((await client.parties.list()).length >= 1);
  state.party = party;
});

test('counterparties: create, list, retrieve, update', async () => {
  const counterparty = await client.counterparties.create({ relationshipType: 'CUSTOMER', partyId: state.party.id });
  assert.equal(counterparty.relationshipType, 'CUSTOMER');
  const detail = await client.counterparties.retrieve(counterparty.id);
  assert.equal(detail.party.fullname, 'Musu Doe');
  const updated = await client.counterparties.update(counterparty.id, { relationshipType: 'SUPPLIER' });
  assert.equal(updated.relationshipType, 'SUPPLIER');
  const listed = await client.counterparties.list({ relationshipType: 'SUPPLIER' });
  assert.ok(listed.some((c) => c.id === counterparty.id));
  await client.counterparties.update(counterparty.id, { relationshipType: 'CUSTOMER' });
  state.counterparty = counterparty;
});

for (const kind of ['invoices', 'orders']) {
  test(`${kind}: create, items, update, publish, retrieve, list, cancel`, async () => {
    const resource = client[kind];
    const numberKey = kind === 'invoices' ? 'invoiceNumber' : 'orderNumber';
    const itemsKey = kind === 'invoices' ? 'invoiceItems' : 'orderItems';
    const doc = await resource.create({ counterpartyId: state.counterparty.id, currency: 'USD', feeBearer: 'PAYER', note: 'Groceries', asPaymentLink: true, dueDate: new Date(Date.now() + 86_400_000) });
    assert.equal(doc.status, 'IDLE');
    assert.match(doc.dueDate, ISO, 'a Date went in, an ISO string came out');
    const rice = await resource.addItem(doc.id, { name: 'Rice', qty: 2, amount: '12.50', currency: 'USD' });
    assert.equal(rice.amount, '12.50');
    const oil = await resource.addItem(doc.id, { name: 'Oil', qty: 1, amount: '3.10', currency: 'USD' });
    const beans = await resource.addItem(doc.id, { name: 'Beans', qty: 1, amount: '1.00', currency: 'USD' });
    assert.equal((await resource.updateItem(doc.id, oil.id, { qty: 3 })).qty, 3);
    assert.equal(await resource.removeItem(doc.id, beans.id), undefined);
    assert.equal((await resource.update(doc.id, { note: 'Groceries for May' })).note, 'Groceries for May');
    const published = await resource.publish(doc.id);
    assert.equal(published.status, 'ACTIVE');
    assert.equal(published.totalAmount, '34.30', '2 × 12.50 + 3 × 3.10, exactly');
    const detail = await resource.retrieve(doc.id);
    assert.deepEqual(detail[itemsKey].map((i) => [i.name, i.qty, i.amount]), [['Rice', 2, '12.50'], ['Oil', 3, '3.10']]);
    assert.equal((await resource.retrieveByNumber(published[numberKey])).id, doc.id);
    assert.ok((await resource.list({ currency: 'USD', status: 'ACTIVE' })).some((d) => d.id === doc.id));
    const spare = await resource.create({ counterpartyId: state.counterparty.id, currency: 'USD', feeBearer: 'PAYEE', note: 'spare', asPaymentLink: false });
    assert.equal((await resource.cancel(spare.id)).status, 'CANCELED');
    state[kind] = published;
  });
}

test('links.pay for a published payment-link invoice', async () => {
  const link = await client.links.pay({ sourceType: 'INVOICE', sourceNumber: state.invoices.invoiceNumber });
  assert.match(link.url, /^https?:\/\//);
});

test('predictions and fees: amounts are decimal strings', async () => {
  const prediction = await client.predictions.amountAndFees({
    baseAmount: '250.00', baseCurrency: 'USD', targetCurrency: 'USD', feeBearer: 'PAYER', operationType: 'COLLECTION', paymentMethod: 'MTN_MOMO_LBR', provider: 'PAWAPAY',
  });
  for (const key of ['payerAmount', 'payeeAmount', 'platformFee']) assert.match(prediction[key], DECIMAL, key);
  assert.equal(prediction.payeeAmount, '250.00');
  assert.equal(prediction.platformFee, '3.75', '1.5 % of 250.00');
  const mmo = await client.predictions.mmoProviderInfo({ operationType: 'COLLECTION', phone: testNumbers.completes });
  assert.equal(mmo.paymentMethod, 'MTN_MOMO_LBR');
  assert.equal(mmo.gatewayProvider, 'PAWAPAY');
  const card = await client.predictions.cardProviderInfo({ operationType: 'COLLECTION', paymentMethodId: 'pm_card_visa' });
  assert.equal(card.paymentMethod ?? 'CREDIT_CARD', 'CREDIT_CARD');
  const source = await client.predictions.paymentSourceAmountAndFees({
    paymentMethod: 'MTN_MOMO_LBR', provider: 'PAWAPAY', sourceId: state.invoices.id, sourceType: 'INVOICE', targetCurrency: 'LRD',
  });
  assert.equal(source.payerCurrency, 'LRD');
  assert.match(source.payerAmount, DECIMAL);
  const gateway = await client.fees.gateway({ operationType: 'COLLECTION', paymentMethod: 'MTN_MOMO_LBR' });
  assert.ok(gateway.length >= 1);
  assert.match(gateway[0].percentage, DECIMAL);
  const platform = await client.fees.platform({ feeTierName: 'default', operationType: 'COLLECTION' });
  assert.match(platform.percentage, DECIMAL);
  const tier = await client.fees.merchantTier({ ownerId: 1, ownerType: 'ORGANIZATION' });
  assert.equal(typeof tier.tier.name, 'string');
  assert.ok((await client.fees.tiers()).some((t) => t.isDefault));
  const merchant = await client.merchants.info({ merchantId: 1, merchantType: 'ORGANIZATION' });
  assert.equal(merchant.name, 'Sandbox Merchant Ltd');
});

test('the step by step collection: payment account, session, execution, status, wait, realtime key, receipts', async () => {
  const account = await client.paymentAccounts.create({
    operationType: 'COLLECTION', accountName: 'Musu MTN', method: 'MTN_MOMO_LBR', partyId: state.party.id, provider: 'PAWAPAY', countryCode: 'LR', insensitiveAccountNumber: testNumbers.completes,
  });
  assert.equal(account.isActive, true);
  const session = await client.sessions.checkout({ sourceId: state.invoices.id, sourceType: 'INVOICE' });
  assert.equal(session.status, 'ACTIVE');
  const referenceId = randomUUID();
  const execution = await client.executions.collection({ currency: 'USD', paymentAccountId: account.id, referenceId, sessionId: session.id });
  assert.equal(execution.referenceId, referenceId);
  assert.ok(['PENDING', 'PROCESSING', 'COMPLETED'].includes(execution.status));
  const key = await client.realtimeKeys.collection({ referenceId, sessionId: session.id, sourceType: 'INVOICE' });
  assert.ok(key.accessToken instanceof Secret);
  const seen = [];
  const waited = await client.status.wait(referenceId, { operation: 'COLLECTION', timeoutMs: 10_000, initialIntervalMs: 10, maxIntervalMs: 50, onEvent: (event) => seen.push(event) });
  assert.equal(waited.state, 'finished');
  assert.equal(waited.execution.status, 'COMPLETED');
  assert.ok(seen.length >= 1 && seen.every((e) => e.event === 'transition'), 'transition events arrived');
  assert.equal(seen.at(-1).to, 'COMPLETED');
  assert.equal((await client.status.collection(referenceId)).status, 'COMPLETED');
  assert.equal((await client.status.execution(referenceId, { operationType: 'COLLECTION' })).status, 'COMPLETED');
  const source = await eventually(async () => {
    const info = await client.status.source({ sourceId: state.invoices.id, sourceType: 'INVOICE' });
    return info.status === 'PAID' && info;
  }, { what: 'the invoice to be PAID' });
  assert.match(source.paidAt, ISO);
  const receipt = await client.invoices.receipt(state.invoices.id);
  assert.equal(receipt.totalAmount, '34.30');
  assert.equal((await client.invoices.receiptByNumber(state.invoices.invoiceNumber)).invoiceId, state.invoices.id);
  const link = await client.links.receipt({ sourceType: 'INVOICE', sourceNumber: state.invoices.invoiceNumber });
  assert.match(link.url, /^https?:\/\//);
  state.collection = { referenceId };
});

test('orders: receipt once paid through the collect flow', async () => {
  const outcome = await client.collect({ phone: testNumbers.completes, sourceType: 'ORDER', sourceId: state.orders.id, ...FAST });
  assert.equal(outcome.execution.status, 'COMPLETED');
  assert.equal(outcome.sourceNumber, state.orders.orderNumber);
  const receipt = await client.orders.receipt(state.orders.id);
  assert.equal(receipt.totalAmount, '34.30');
  assert.equal((await client.orders.receiptByNumber(state.orders.orderNumber)).orderId, state.orders.id);
});

test('cards: a 3-D Secure collection returns its client secret as a Secret', async () => {
  const doc = await client.invoices.create({ counterpartyId: state.counterparty.id, currency: 'USD', feeBearer: 'PAYER', note: 'card', asPaymentLink: false });
  await client.invoices.addItem(doc.id, { name: 'Shoes', qty: 1, amount: '20.00', currency: 'USD' });
  await client.invoices.publish(doc.id);
  const account = await client.paymentAccounts.create({
    operationType: 'COLLECTION', accountName: 'Visa', method: 'CREDIT_CARD', partyId: state.party.id, provider: 'STRIPE', insensitiveAccountNumber: testNumbers.cardRequires3ds,
  });
  const session = await client.sessions.checkout({ sourceId: doc.id, sourceType: 'INVOICE' });
  const referenceId = randomUUID();
  const execution = await client.executions.collection({ currency: 'USD', paymentAccountId: account.id, referenceId, sessionId: session.id });
  assert.equal(execution.requiresAction, true);
  state.cardCollection = { referenceId };
  assert.ok(execution.clientSecret instanceof Secret);
  assert.ok(!require('node:util').inspect(execution).includes(execution.clientSecret.expose()), 'inspect hides it');
  assert.ok(!JSON.stringify(execution).includes(execution.clientSecret.expose()), 'JSON hides it');
});

test('payouts step by step: payout account, session, execution with the passcode, status', async () => {
  const account = await client.paymentAccounts.create({
    operationType: 'PAYOUT', accountName: 'Musu payout', method: 'MTN_MOMO_LBR', partyId: state.party.id, provider: 'PAWAPAY', countryCode: 'LR', insensitiveAccountNumber: testNumbers.completes,
  });
  const session = await client.sessions.payout({ amount: '5.00', currency: 'USD', payoutAccountId: account.id });
  assert.equal(session.amount, '5.00');
  const referenceId = randomUUID();
  const execution = await client.executions.payout({
    passcode: { device, token: { code: new Secret(sandbox.passcode), phone: PASSCODE_PHONE } },
    payoutAccountId: account.id, referenceId, sessionId: session.id,
  });
  assert.equal(execution.operationType, 'PAYOUT');
  const done = await client.status.wait(referenceId, { operation: 'PAYOUT', timeoutMs: 10_000, initialIntervalMs: 10 });
  assert.equal(done.execution.status, 'COMPLETED');
  assert.equal((await client.status.payout(referenceId)).payeeAmount, '5.00');
});

test('transfers and refunds step by step', async () => {
  const wallet = (await sandbox.wallets()).find((w) => w.currency === 'USD');
  const expiresAt = new Date(Date.now() + 10 * 60_000);
  const session = await client.sessions.transfer({ amount: '2.00', currency: 'USD', expiresAt, fromWalletId: wallet.id, toCounterpartyId: state.counterparty.id });
  const transferRef = randomUUID();
  await client.executions.transfer({ referenceId: transferRef, sessionId: session.id });
  assert.equal((await client.status.wait(transferRef, { operation: 'TRANSFER', timeoutMs: 10_000, initialIntervalMs: 10 })).execution.status, 'COMPLETED');
  assert.equal((await client.status.transfer(transferRef)).payeeAmount, '2.00');

  const intent = (await sandbox.paymentIntents()).find((i) => i.reference_id === state.collection.referenceId);
  const refundSession = await client.sessions.refund({ amount: '1.00', expiresAt: expiresAt.toISOString(), originalPaymentIntentId: intent.id, reason: 'one item' });
  const refundRef = randomUUID();
  await client.executions.refund({ referenceId: refundRef, sessionId: refundSession.id });
  assert.equal((await client.status.wait(refundRef, { operation: 'REFUND', timeoutMs: 10_000, initialIntervalMs: 10 })).execution.status, 'COMPLETED');
  assert.equal((await client.status.refund(refundRef)).status, 'COMPLETED');
});

test('checkouts.create: a hosted checkout from payer details', async () => {
  const link = await client.checkouts.create({
    currency: 'USD', items: [{ name: 'Ticket', currency: 'USD', amount: '15.00' }], mode: 'HOSTED', partyPhone: testNumbers.completes, partyName: 'Amara', sourceKind: 'INVOICE',
    successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/cancel',
  });
  assert.equal(link.totalAmount, '15.00');
  assert.equal(link.sourceStatus, 'ACTIVE');
});

test('flows: collect, payout, transfer, refund with their events', async () => {
  const events = [];
  const collected = await client.collect({ phone: testNumbers.completes, payerName: 'Amara Kamara', currency: 'LRD', items: [{ name: 'Fish', qty: 2, amount: '950.50' }], onEvent: (e) => events.push(e), ...FAST });
  assert.equal(collected.execution.status, 'COMPLETED');
  assert.equal(collected.totalAmount, '1901.00');
  assert.equal(collected.settled, true);
  assert.ok(collected.receipt, 'the receipt came with the outcome');
  const names = events.map((e) => e.event);
  for (const step of ['validated', 'party_ready', 'source_created', 'item_added', 'source_published', 'session_created', 'execution_submitted', 'status_changed']) {
    assert.ok(names.includes(step), `no ${step} event`);
  }
  const item = events.find((e) => e.event === 'item_added');
  assert.equal(item.item.amount, '950.50');
  assert.match(item.at, ISO);
  assert.equal(typeof item.elapsedMs, 'number');

  const paid = await client.payout({ phone: testNumbers.completes, recipientName: 'Musu Doe', amount: '3.00', currency: 'USD', passcode: { code: sandbox.passcode, phone: PASSCODE_PHONE }, ...FAST });
  assert.equal(paid.execution.status, 'COMPLETED');
  assert.equal(paid.execution.payeeAmount, '3.00');
  const batch = [
    { phone: testNumbers.completes, amount: '2.00', currency: 'USD', rowId: 'a' },
    { phone: testNumbers.completes, amount: '3.00', currency: 'USD', rowId: 'b' },
  ];
  const plan = await client.bulkPayoutPlan({ rows: batch, passcode: { code: sandbox.passcode, phone: PASSCODE_PHONE } });
  assert.equal(plan.totals[0].amount, '5.00');
  const bulk = await client.bulkPayout({ rows: batch, passcode: { code: sandbox.passcode, phone: PASSCODE_PHONE }, ...FAST });
  assert.deepEqual(bulk.rows.map((r) => r.status), ['COMPLETED', 'COMPLETED']);

  const wallet = (await sandbox.wallets()).find((w) => w.currency === 'USD');
  const moved = await client.transfer({ fromWalletId: wallet.id, toCounterpartyId: state.counterparty.id, amount: '1.50', currency: 'USD', ...FAST });
  assert.equal(moved.execution.status, 'COMPLETED');

  const intent = (await sandbox.paymentIntents()).find((i) => i.reference_id === collected.referenceId);
  const refunded = await client.refund({ originalPaymentIntentId: intent.id, amount: '100.00', reason: 'spoiled', ...FAST });
  assert.equal(refunded.execution.status, 'COMPLETED');
});

test('flows: hosted checkout, verifyPaid, waitSourcePaid', async () => {
  const checkout = await client.hostedCheckout({ phone: testNumbers.completes, payerName: 'Amara', currency: 'USD', amount: '45.00', successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/cancel' });
  assert.equal(checkout.totalAmount, '45.00');
  assert.equal((await client.verifyPaid({ sourceType: checkout.sourceType, sourceId: checkout.sourceId })).paid, false);
  const answer = await fetch(`${checkout.url}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: testNumbers.completes }) });
  assert.ok(answer.ok);
  const events = [];
  const waited = await client.waitSourcePaid({ sourceType: checkout.sourceType, sourceId: checkout.sourceId, timeoutMs: 10_000, pollIntervalMs: 10, maxPollIntervalMs: 50, onEvent: (e) => events.push(e.event) });
  assert.equal(waited.paid, true);
  assert.equal(waited.timedOut, false);
  assert.ok(events.includes('source_status_changed'));
});

test('flows: reconcile (the one execution nobody waited for, then nothing) and forgetPaymentAccounts', async () => {
  // Every execution of this file was waited to its end except the 3-D Secure card collection:
  // it is the journal's one unresolved intent. Once the sandbox has settled it, reconcile must
  // report exactly it, by its reference id, with the sandbox's final status.
  const { referenceId } = state.cardCollection;
  const final = await eventually(async () => {
    const status = (await sandbox.stats()).executions.by_reference_id[referenceId]?.status;
    return ['COMPLETED', 'FAILED'].includes(status) && status;
  }, { what: 'the card collection to settle' });
  const report = await client.reconcile();
  assert.equal(report.entries.length, 1, JSON.stringify(report.entries));
  const [entry] = report.entries;
  assert.equal(entry.referenceId, referenceId);
  assert.equal(entry.operation, 'COLLECTION');
  assert.equal(entry.outcome, final.toLowerCase());
  assert.equal(entry.execution.referenceId, referenceId);
  assert.equal(entry.execution.status, final);
  assert.equal(entry.error, undefined);
  assert.deepEqual(
    [report.completed, report.failed, report.stillProcessing, report.notSubmitted, report.resubmitted, report.unreachable],
    final === 'COMPLETED' ? [1, 0, 0, 0, 0, 0] : [0, 1, 0, 0, 0, 0],
  );
  // Recorded as resolved: the next reconcile has nothing to do.
  const next = await client.reconcile();
  assert.deepEqual(next.entries, []);
  assert.deepEqual([next.completed, next.failed, next.stillProcessing, next.notSubmitted, next.resubmitted, next.unreachable], [0, 0, 0, 0, 0, 0]);
  assert.equal(await client.forgetPaymentAccounts(), undefined);
  const again = await client.collect({ phone: testNumbers.completes, payerName: 'Amara Kamara', currency: 'USD', amount: '1.00', ...FAST });
  assert.equal(again.paymentAccountReused, false, 'the account was forgotten, so it was registered again');
});

test('errors surface from resources as typed errors', async () => {
  await assert.rejects(client.invoices.retrieve(999_999), NotFoundError);
  await assert.rejects(client.invoices.addItem(state.invoices.id, { name: 'late', qty: 1, amount: '1.00', currency: 'USD' }), ValidationError);
});

test('every operation of the schema was called through the JS surface', () => {
  const missing = schema.operations.map((op) => op.name).filter((name) => !called.has(name));
  assert.deepEqual(missing, [], `operations no test called: ${missing.join(', ')}`);
});
