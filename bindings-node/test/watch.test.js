'use strict';
// `client.status.watch(..)`: a collection's changes over the sandbox's Supabase Realtime server
// as a `for await` loop; leaving the loop closes the socket. Deterministic: the sandbox settles
// only when told, polls are 60 s apart (a change seen in time came over realtime), and the payment
// is advanced only once the watch has joined its channel and made its catch-up poll.

const test = require('node:test');
const assert = require('node:assert/strict');
const { testNumbers } = require('dollr-native');
const { startSandbox } = require('dollr-native/testing');

const DEADLINE_MS = 30_000;

async function until(what, condition) {
  const deadline = Date.now() + DEADLINE_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`deadline passed waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function lookups(sandbox, reference) {
  const log = await (await fetch(`${sandbox.url}/_sandbox/requests`)).json();
  return log.filter((e) => e.method === 'GET' && e.path.endsWith(reference) && e.status === 200).length;
}

async function realtime(sandbox) {
  return (await sandbox.stats()).realtime;
}

test('a collection is watched PENDING -> PROCESSING -> COMPLETED over realtime', async () => {
  const sandbox = await startSandbox({ settleMs: 600_000 });
  try {
    const payer = sandbox.client();
    const outcome = await payer.collect({
      phone: testNumbers.completes,
      payerName: 'Amara Kamara',
      currency: 'USD',
      amount: '7.00',
      waitTimeoutMs: 1,
    });
    assert.equal(outcome.settled, false);
    const reference = outcome.referenceId;
    const joinsBefore = (await realtime(sandbox)).joins;
    // A client with its own journal: its first observation (PENDING) is reported too.
    const watcher = sandbox.client();
    const seen = [];
    const channels = [];
    const driver = (async () => {
      await until('the join and the catch-up poll', async () => (await realtime(sandbox)).joins > joinsBefore && (await lookups(sandbox, reference)) >= 2);
      await sandbox.advance(reference);
      await until('PROCESSING seen', () => seen.includes('PROCESSING'));
      await sandbox.advance(reference);
    })();
    const watch = watcher.status.watch(reference, {
      sessionId: outcome.sessionId,
      initialIntervalMs: 60_000,
      maxIntervalMs: 60_000,
      timeoutMs: DEADLINE_MS,
    });
    for await (const change of watch) {
      seen.push(change.to);
      channels.push(change.channel);
    }
    await driver;
    assert.deepEqual(seen, ['PENDING', 'PROCESSING', 'COMPLETED']);
    assert.deepEqual(channels, ['poll', 'realtime', 'realtime']);
    assert.equal(watch.outcome.state, 'finished');

    // Leaving a loop early closes the socket.
    const second = sandbox.client().status.watch(reference, { sessionId: outcome.sessionId, timeoutMs: DEADLINE_MS });
    for await (const change of second) {
      assert.equal(change.to, 'COMPLETED');
      break;
    }
    await until('every socket closed', async () => (await realtime(sandbox)).open === 0);
  } finally {
    await sandbox.stop();
  }
});
