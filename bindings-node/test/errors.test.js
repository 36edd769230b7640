'use strict';
// Errors: one class per core kind, `code` = the kind, and the fields, both for every kind (through
// the same mapping function) and for the real failures the sandbox can provoke.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const dollr = require('dollr-native');
const native = require('../lib/native.js');
const { withSandbox, FAST, PASSCODE_PHONE } = require('./fixtures.js');

const { Client, DollrError } = dollr;
const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'core', 'bridge-schema.json'), 'utf8'));

const CLASS_NAMES = [
  'DollrError', 'ValidationError', 'AuthenticationError', 'PermissionDeniedError', 'NotFoundError',
  'ConflictError', 'RateLimitError', 'ServerError', 'NetworkError', 'TimeoutError',
  'AmbiguousExecutionError', 'DecodeError', 'InternalError',
];

test('every core error kind has an exported Error subclass of DollrError', () => {
  for (const name of CLASS_NAMES) {
    assert.equal(typeof dollr[name], 'function', `${name} is not exported`);
    assert.ok(dollr[name].prototype instanceof Error, `${name} is not an Error`);
    if (name !== 'DollrError') assert.ok(dollr[name].prototype instanceof DollrError, `${name} does not extend DollrError`);
  }
  const mapped = native._errorKinds();
  assert.deepEqual(
    mapped.map(([kind]) => kind),
    schema.errors.map((error) => error.kind),
    'the addon maps exactly the kinds of the schema, in order',
  );
  for (const [, className] of mapped) assert.ok(CLASS_NAMES.includes(className), `${className} is not exported`);
  assert.equal(new Set(mapped.map(([, c]) => c)).size, mapped.length, 'two kinds share a class');
});

test("every kind of the schema has its class, documented and retryable as the core's table says", () => {
  const typings = fs.readFileSync(path.join(__dirname, '..', '..', 'index.d.ts'), 'utf8');
  // Fields are named as JS spells them (`referenceId` for the table's `reference_id`).
  const jsNames = (text) =>
    text.replace(/`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`/g, (_, name) => `\`${name.replace(/_([a-z0-9])/g, (__, c) => c.toUpperCase())}\``);
  const mapped = new Map(native._errorKinds());
  assert.deepEqual([...mapped.keys()], schema.errors.map((error) => error.kind));
  for (const entry of schema.errors) {
    const className = mapped.get(entry.kind);
    const cls = dollr[className];
    assert.equal(typeof cls, 'function', `${entry.kind}: no exported class ${className}`);
    assert.ok(cls.prototype instanceof DollrError, `${className} does not extend DollrError`);
    assert.equal(new cls('x').retryable, entry.retryable, `${className}.retryable`);
    const declared = typings.match(
      new RegExp(
        `/\\*\\*\\n((?: \\*.*\\n)+) \\*/\\nexport declare class ${className} extends DollrError \\{\\n` +
          `  readonly code: "${entry.kind}";\\n  readonly retryable: ${entry.retryable};\\n\\}`,
      ),
    );
    assert.ok(declared, `index.d.ts has no documented ${className} with code ${entry.kind}`);
    const doc = declared[1].split('\n').map((line) => line.replace(/^ \*(?: |$)/, '')).join('\n').trim();
    assert.deepEqual(
      doc.split('\n\n').map((paragraph) => paragraph.split(/\s+/).join(' ')),
      [jsNames(entry.description), jsNames(entry.action)],
      `${className}'s doc is the table's description, then its action`,
    );
  }
});

test('each kind rejects with its class, `code` = the kind and every field', async () => {
  for (const [kind, className] of native._errorKinds()) {
    await assert.rejects(native._errorForTests(kind), (error) => {
      assert.ok(error instanceof dollr[className], `${kind} should be a ${className}`);
      assert.ok(error instanceof DollrError);
      assert.equal(error.name, className);
      assert.equal(error.code, kind);
      assert.equal(error.message, `a ${kind} error for the tests`);
      assert.equal(error.status, 499);
      assert.equal(error.retryAfter, 1.5);
      assert.equal(error.referenceId, '6f1c1d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f');
      assert.equal(error.requestId, 'req-123');
      assert.deepEqual(error.details, [
        { loc: ['body', 'items', '0', 'amount'], msg: 'too many decimals', type: 'value_error', field: 'items.0.amount' },
      ]);
      assert.match(error.stack, new RegExp(`^${className}: a ${kind} error`));
      return true;
    });
  }
});

test('Validation: refused locally, naming the field, before anything is sent', async () => {
  await withSandbox({}, async (sandbox, client) => {
    const before = (await sandbox.stats()).requests.total;
    // Refused on the JS thread (no round trip through the runtime), yet still a rejected Promise,
    // never a synchronous throw, with a stack that points at the caller.
    const refused = client.parties.create({ fullname: 'Musu Doe' });
    assert.ok(refused instanceof Promise);
    await assert.rejects(refused, (error) => {
      assert.ok(error instanceof dollr.ValidationError);
      assert.equal(error.code, 'Validation');
      assert.equal(error.details[0].field, 'phone');
      assert.equal(error.status, undefined);
      assert.match(error.stack, /errors\.test\.js/, 'the stack points at the caller');
      return true;
    });
    await assert.rejects(client.parties.create({ fullname: 'Musu Doe', phone: '231771234567', countryCod: 'LR' }), (error) => {
      assert.ok(error instanceof dollr.ValidationError);
      // Named as JS spells them: the caller wrote `countryCod`, and means `countryCode`.
      assert.match(error.message, /unknown argument `countryCod`.*did you mean `countryCode`/);
      assert.ok(!error.message.includes('country_code'), error.message);
      return true;
    });
    await assert.rejects(
      client.collect({ phone: '231771234567', payerName: 'A', currency: 'usd', amount: '5.00', ...FAST }),
      (error) => error instanceof dollr.ValidationError && error.details[0].field === 'currency',
    );
    assert.equal((await sandbox.stats()).requests.total, before, 'nothing was sent');
  });
});

test('Validation from the API (422) carries the status and the details', async () => {
  await withSandbox({}, async (_sandbox, client) => {
    const party = await client.parties.create({ fullname: 'Musu Doe', phone: '231771234567' });
    const counterparty = await client.counterparties.create({ relationshipType: 'CUSTOMER', partyId: party.id });
    const invoice = await client.invoices.create({ counterpartyId: counterparty.id, currency: 'USD', feeBearer: 'PAYER', note: 'x', asPaymentLink: false });
    // Publishing with no items is a business rule of the API, not a local check.
    await assert.rejects(client.invoices.publish(invoice.id), (error) => {
      assert.ok(error instanceof dollr.ValidationError);
      assert.equal(error.status, 422);
      assert.ok(error.details.length > 0);
      assert.match(error.details[0].msg, /no items/);
      return true;
    });
  });
});

test('NotFound (404) with its status', async () => {
  await withSandbox({}, async (_sandbox, client) => {
    await assert.rejects(client.parties.retrieve(424242), (error) => {
      assert.ok(error instanceof dollr.NotFoundError);
      assert.equal(error.code, 'NotFound');
      assert.equal(error.status, 404);
      assert.match(error.stack, /errors\.test\.js/, 'the stack points at the caller');
      return true;
    });
  });
});

test('Authentication (401) for a wrong secret, which never appears in the error', async () => {
  await withSandbox({}, async (sandbox) => {
    const secret = 'not-the-secret-7c1f';
    const client = new Client({ baseUrl: sandbox.url, clientId: sandbox.clientId, clientSecret: secret, maxRetries: 0 });
    await assert.rejects(client.fees.tiers(), (error) => {
      assert.ok(error instanceof dollr.AuthenticationError);
      assert.equal(error.code, 'Authentication');
      assert.equal(error.status, 401);
      const everything = JSON.stringify({ ...error, message: error.message, stack: error.stack });
      assert.ok(!everything.includes(secret), 'the secret leaked into the error');
      return true;
    });
  });
});

test('PermissionDenied (403): a payout from an unverified merchant', async () => {
  await withSandbox({ verified: false }, async (sandbox, client) => {
    await assert.rejects(
      client.payout({ phone: '231771234567', recipientName: 'Musu', amount: '1.00', currency: 'USD', passcode: { code: sandbox.passcode, phone: PASSCODE_PHONE }, ...FAST }),
      (error) => error instanceof dollr.PermissionDeniedError && error.code === 'PermissionDenied' && error.status === 403,
    );
  });
});

test('RateLimited (429) with retryAfter in seconds', async () => {
  await withSandbox({ faults: { rules: [{ kind: 'rate_limit', retry_after: 7, scope: 'v1' }] }, client: { maxRetries: 0 } }, async (_sandbox, client) => {
    await assert.rejects(client.fees.tiers(), (error) => {
      assert.ok(error instanceof dollr.RateLimitError);
      assert.equal(error.code, 'RateLimited');
      assert.equal(error.status, 429);
      assert.equal(error.retryAfter, 7);
      return true;
    });
  });
});

test('Server (5xx) with its status', async () => {
  await withSandbox({ faults: { rules: [{ kind: 'error', status: 503, scope: 'v1' }] }, client: { maxRetries: 0 } }, async (_sandbox, client) => {
    await assert.rejects(client.fees.tiers(), (error) => error instanceof dollr.ServerError && error.code === 'Server' && error.status === 503);
  });
});

test('Timeout when the API does not answer in time', async () => {
  // The API answers after 30 s; the 200 ms timeout must end the call long before. The bound (20 s)
  // leaves room for a stalled, busy machine and still proves the timeout ended it.
  await withSandbox({ faults: { rules: [{ kind: 'latency', latency_ms: 30000, scope: 'token' }] }, client: { maxRetries: 0, timeoutMs: 200 } }, async (_sandbox, client) => {
    const started = Date.now();
    await assert.rejects(client.fees.tiers(), (error) => error instanceof dollr.TimeoutError && error.code === 'Timeout');
    assert.ok(Date.now() - started < 20000, 'the timeout, not the latency, ended the call');
  });
});

test('Network when nothing listens', async () => {
  let url;
  await withSandbox({}, async (sandbox) => {
    url = sandbox.url;
  });
  const client = new Client({ baseUrl: url, clientId: 'id', clientSecret: 'secret', maxRetries: 0 });
  await assert.rejects(client.fees.tiers(), (error) => error instanceof dollr.NetworkError && error.code === 'Network');
});

test('Conflict: a reference id reused for a different payment', async () => {
  await withSandbox({}, async (_sandbox, client) => {
    const first = await client.collect({ phone: '231771234567', payerName: 'Amara', currency: 'USD', amount: '5.00', ...FAST });
    await assert.rejects(
      client.collect({ phone: '231771234567', payerName: 'Amara', currency: 'USD', amount: '6.00', referenceId: first.referenceId, ...FAST }),
      (error) => {
        assert.ok(error instanceof DollrError, String(error));
        assert.equal(error.code, 'Conflict', `${error.code}: ${error.message}`);
        assert.ok(error instanceof dollr.ConflictError);
        return true;
      },
    );
  });
});

test('a bad constructor option throws synchronously, naming it', () => {
  assert.throws(
    () => new Client({ baseUrl: 'http://127.0.0.1:9', clientId: 'a', clientSecret: 'b', timeoutMsec: 5 }),
    (error) => error instanceof dollr.ValidationError && /`timeoutMsec`/.test(error.message) && !/timeout_msec/.test(error.message),
  );
  assert.throws(
    () => new Client({ baseUrl: 'http://example.com', clientId: 'a', clientSecret: 'b' }),
    (error) => error instanceof dollr.ValidationError && error.details[0].field === 'baseUrl',
  );
});

test('an unknown operation is a ValidationError, not a crash', async () => {
  // The generated layer only names operations the schema has; this calls the bridge directly.
  const fake = { name: 'parties.explode', positional: [], byJs: {}, returns: 'json' };
  const { makeCaller } = require('../lib/runtime.js');
  const { TABLES } = require('../lib/generated/api.js');
  const handle = new native.NativeClient(JSON.stringify({ base_url: 'http://127.0.0.1:9', client_id: 'a', client_secret: 'b' }));
  await assert.rejects(makeCaller(handle, TABLES)(fake, [], {}), (error) => error instanceof dollr.ValidationError && /unknown operation/.test(error.message));
});
