'use strict';
// A Rust panic must become an InternalError (thrown or a rejected Promise), never a crash.

// The panics are deliberate: keep their report to the one-line message (Rust reads this when the
// first panic happens, after this file has set it).
process.env.RUST_BACKTRACE = '0';

const test = require('node:test');
const assert = require('node:assert/strict');
const native = require('../lib/native.js');
const { InternalError, DollrError } = require('../../index.js');

test('a panic in a synchronous export is thrown as an InternalError', () => {
  assert.throws(
    () => native._panicForTests('sync'),
    (error) => {
      assert.ok(error instanceof InternalError);
      assert.ok(error instanceof DollrError);
      assert.equal(error.code, 'Internal');
      assert.match(error.message, /panic.*deliberate panic for the tests \(sync\)/);
      return true;
    },
  );
});

test('a panic inside an async task rejects the Promise with an InternalError', async () => {
  const promise = native._panicForTests('async');
  assert.ok(promise instanceof Promise);
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof InternalError);
    assert.equal(error.code, 'Internal');
    assert.match(error.message, /deliberate panic for the tests \(async/);
    return true;
  });
});

test('the process keeps working after panics', async () => {
  for (let i = 0; i < 5; i += 1) {
    await assert.rejects(native._panicForTests('async'), InternalError);
  }
  assert.equal(typeof native._version(), 'string');
});
