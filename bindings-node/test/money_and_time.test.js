'use strict';
// Amounts are exact decimal strings in and out; JS numbers are accepted only when their decimal
// form is exact for the currency (the core decides); timestamps are ISO strings (Dates accepted).

const test = require('node:test');
const assert = require('node:assert/strict');
const { ValidationError, testNumbers } = require('dollr-native');
const { withSandbox, FAST } = require('./fixtures.js');

async function draftInvoice(client, currency) {
  const party = await client.parties.create({ fullname: 'Musu Doe', phone: testNumbers.completes });
  const counterparty = await client.counterparties.create({ relationshipType: 'CUSTOMER', partyId: party.id });
  return client.invoices.create({ counterpartyId: counterparty.id, currency, feeBearer: 'PAYEE', note: 'money', asPaymentLink: false });
}

test('amounts come back as decimal strings, exactly as sent', async () => {
  await withSandbox({}, async (_sandbox, client) => {
    const invoice = await draftInvoice(client, 'USD');
    const item = await client.invoices.addItem(invoice.id, { name: 'Big', qty: 3, amount: '33333333333.33', currency: 'USD' });
    assert.equal(typeof item.amount, 'string');
    assert.equal(item.amount, '33333333333.33');
    await client.invoices.addItem(invoice.id, { name: 'Dime', qty: 3, amount: '0.10', currency: 'USD' });
    const published = await client.invoices.publish(invoice.id);
    // 3 × 0.10 in binary floats is 0.30000000000000004; the total must be exact.
    assert.equal(published.totalAmount, '100000000000.29');
    assert.notEqual(3 * 0.1, 0.3, 'floats would have been wrong here');
  });
});

test('a JS number is accepted when its decimal form fits the currency', async () => {
  await withSandbox({}, async (_sandbox, client) => {
    const invoice = await draftInvoice(client, 'USD');
    const item = await client.invoices.addItem(invoice.id, { name: 'Rice', qty: 1, amount: 250.1, currency: 'USD' });
    assert.equal(typeof item.amount, 'string');
    assert.equal(Number(item.amount), 250.1);
    assert.match(item.amount, /^250\.10?$/);
  });
});

test('a JS number that is not exact for the currency is refused, naming the field', async () => {
  await withSandbox({}, async (sandbox, client) => {
    const invoice = await draftInvoice(client, 'USD');
    const before = (await sandbox.stats()).requests.by_route['POST /v1/invoices/{id}/items/add'] ?? 0;
    await assert.rejects(client.invoices.addItem(invoice.id, { name: 'Float', qty: 1, amount: 0.1 + 0.2, currency: 'USD' }), (error) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.details[0].field, 'amount');
      assert.match(error.message, /0\.30000000000000004/);
      return true;
    });
    assert.equal((await sandbox.stats()).requests.by_route['POST /v1/invoices/{id}/items/add'] ?? 0, before, 'refused before sending');
    await assert.rejects(
      client.collect({ phone: testNumbers.completes, payerName: 'A', currency: 'RWF', amount: 1000.5, ...FAST }),
      (error) => error instanceof ValidationError && /RWF/.test(error.message),
    );
    await assert.rejects(
      client.collect({ phone: testNumbers.completes, payerName: 'A', currency: 'RWF', amount: '1000.5', ...FAST }),
      (error) => error instanceof ValidationError && /RWF/.test(error.message),
    );
  });
});

test('RWF has no decimals; LRD flows convert exactly', async () => {
  await withSandbox({}, async (_sandbox, client) => {
    const outcome = await client.collect({ phone: testNumbers.completesMtnRw, payerName: 'Aline', currency: 'RWF', amount: 5000, ...FAST });
    assert.equal(outcome.execution.status, 'COMPLETED');
    assert.equal(outcome.totalAmount, '5000');
    const lrd = await client.collect({ phone: testNumbers.completes, payerName: 'Amara', currency: 'USD', amount: '250.00', payCurrency: 'LRD', ...FAST });
    // The sandbox README's worked example: 250.00 USD, PAYER, paid in LRD → 49,162.50 LRD.
    assert.equal(lrd.execution.payerCurrency, 'LRD');
    assert.equal(lrd.execution.payerAmount, '49162.50');
    assert.equal(lrd.execution.payeeAmount, '250.00');
  });
});

test('timestamps are ISO 8601 strings; Dates and strings are accepted', async () => {
  await withSandbox({}, async (_sandbox, client) => {
    const party = await client.parties.create({ fullname: 'Musu Doe', phone: testNumbers.completes });
    const counterparty = await client.counterparties.create({ relationshipType: 'CUSTOMER', partyId: party.id });
    const due = new Date(Date.UTC(2030, 0, 15, 12, 30, 0));
    const invoice = await client.invoices.create({ counterpartyId: counterparty.id, currency: 'USD', feeBearer: 'PAYER', note: 'x', asPaymentLink: false, dueDate: due });
    assert.equal(typeof invoice.dueDate, 'string');
    assert.equal(new Date(invoice.dueDate).getTime(), due.getTime());
    assert.match(invoice.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const updated = await client.invoices.update(invoice.id, { dueDate: '2031-06-01T00:00:00Z' });
    assert.equal(new Date(updated.dueDate).toISOString(), '2031-06-01T00:00:00.000Z');
  });
});
