'use strict';
// Client-side validation errors say where the API takes a parameter (`path`, `query`, `body`), and
// a flow error names the argument the caller passed (`amount`, not the line item the core built
// from it). Nothing is sent for any of them.

const test = require('node:test');
const assert = require('node:assert/strict');
const { ValidationError } = require('dollr-native');
const { FAST, withSandbox } = require('./fixtures.js');

/** The first detail of the ValidationError `promise` rejects with. */
async function refusal(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${error?.name}: ${error?.message}`);
    return error.details[0];
  }
  assert.fail('expected a ValidationError');
}

test('a path parameter is located in the path, a query parameter in the query', async () => {
  await withSandbox({ settleMs: 20 }, async (sandbox, client) => {
    const before = (await sandbox.stats()).requests.total;
    assert.deepEqual((await refusal(client.parties.retrieve(0))).loc, ['path', 'id']);
    // Refused by the JS layer before the core sees it (JSON could not carry the number).
    assert.deepEqual((await refusal(client.parties.retrieve(NaN))).loc, ['path', 'id']);
    const itemId = await refusal(client.invoices.removeItem(1, -1));
    assert.deepEqual([itemId.loc, itemId.field], [['path', 'item_id'], 'itemId'], 'loc in the API\'s terms, field in JavaScript\'s');
    const referenceId = await refusal(client.status.collection('not-a-uuid'));
    assert.deepEqual([referenceId.loc, referenceId.field], [['path', 'reference_id'], 'referenceId']);
    assert.deepEqual((await refusal(client.parties.list({ fullname: 5 }))).loc, ['query', 'fullname']);
    assert.equal((await sandbox.stats()).requests.total, before, 'nothing was sent');
  });
});

test('collect with a bad amount names amount, the argument the caller passed', async () => {
  await withSandbox({ settleMs: 20 }, async (sandbox, client) => {
    const detail = await refusal(client.collect({ phone: '231771234567', payerName: 'A', currency: 'USD', amount: '-1.00', ...FAST }));
    assert.equal(detail.field, 'amount');
    assert.deepEqual(detail.loc, ['body', 'amount']);
    assert.equal((await sandbox.stats()).requests.total, 0, 'nothing was sent');
  });
});
