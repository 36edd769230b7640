'use strict';
// Property tests (#18): a decimal string crosses the addon, the core and the API exactly, both
// ways, and an amount is refused exactly when its currency does not allow its decimals. A seeded
// generator (the same cases on every run, no dependency) picks the amounts; the core's own
// properties are in core/tests/properties.rs.

const test = require('node:test');
const assert = require('node:assert/strict');
const { ValidationError, testNumbers } = require('dollr-native');
const { withSandbox } = require('./fixtures.js');
const { generator } = require('./seeded.js');

const CASES = 40;
const LARGEST = 99999999999.99; // the API's largest amount, only compared digit by digit below


// A decimal string with `places` decimals (exactly that many digits after the point) and up to
// 11 integer digits, never below one minor unit.
function decimalString(random, places) {
  const digits = 1 + Math.floor(random() * 11);
  let whole = String(1 + Math.floor(random() * 9));
  for (let i = 1; i < digits; i += 1) whole += String(Math.floor(random() * 10));
  if (random() < 0.2) whole = '0';
  let fraction = '';
  for (let i = 0; i < places; i += 1) fraction += String(Math.floor(random() * 10));
  if (whole === '0' && /^0*$/.test(fraction)) fraction = fraction.slice(0, -1) + '1';
  if (places === 0 && whole === '0') whole = '1';
  return places === 0 ? whole : `${whole}.${fraction}`;
}

// The same decimal, digit by digit (no float): trailing zeros of the fraction dropped.
function plain(text) {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

async function draftInvoice(client, currency) {
  const party = await client.parties.create({ fullname: 'Property Test', phone: testNumbers.completes });
  const counterparty = await client.counterparties.create({ relationshipType: 'CUSTOMER', partyId: party.id });
  return client.invoices.create({ counterpartyId: counterparty.id, currency, feeBearer: 'PAYER', note: 'properties', asPaymentLink: false });
}

test('a decimal string survives the addon, the core and the API exactly', async () => {
  const random = generator(18);
  await withSandbox({}, async (_sandbox, client) => {
    for (let i = 0; i < CASES; i += 1) {
      const currency = random() < 0.5 ? 'USD' : 'LRD';
      const amount = decimalString(random, Math.floor(random() * 3));
      const invoice = await draftInvoice(client, currency);
      const item = await client.invoices.addItem(invoice.id, { name: 'Thing', qty: 1, amount, currency });
      assert.equal(typeof item.amount, 'string', `case ${i}: ${amount}`);
      // The API answers at the currency's scale (two decimals): the same digits, exactly.
      assert.equal(plain(item.amount), plain(amount), `case ${i}: ${amount} ${currency}`);
      assert.match(item.amount, /^\d+\.\d\d$/, `case ${i}: ${amount} ${currency}`);
      if (amount.split('.')[1]?.length === 2) assert.equal(item.amount, amount, `case ${i}`);
    }
  });
});

test('an RWF amount is refused exactly when it has decimals', async () => {
  const random = generator(250);
  await withSandbox({}, async (sandbox, client) => {
    const invoice = await draftInvoice(client, 'RWF');
    for (let i = 0; i < CASES; i += 1) {
      const places = Math.floor(random() * 3);
      let amount = decimalString(random, places);
      if (places > 0 && random() < 0.3) amount = amount.replace(/\.\d+$/, (f) => '.' + '0'.repeat(f.length - 1));
      const allowed = !/\.\d*[1-9]/.test(amount) && Number(amount) >= 1 && Number(amount) <= LARGEST;
      const route = 'POST /v1/invoices/{id}/items/add';
      const before = (await sandbox.stats()).requests.by_route[route] ?? 0;
      const adding = client.invoices.addItem(invoice.id, { name: 'Thing', qty: 1, amount, currency: 'RWF' });
      if (allowed) {
        const item = await adding;
        assert.equal(item.amount, plain(amount).replace(/\.$/, ''), `case ${i}: ${amount}`);
      } else {
        await assert.rejects(adding, (error) => {
          assert.ok(error instanceof ValidationError, `case ${i}: ${amount}: ${error}`);
          assert.equal(error.details[0].field, 'amount');
          return true;
        });
        assert.equal((await sandbox.stats()).requests.by_route[route] ?? 0, before, `case ${i}: ${amount} was sent`);
      }
    }
  });
});
