'use strict';
// The receiving side below HTTP (src/delivery/receiver.ts) with a real lifecycle and the memory store: what a body
// comes to, what the sender is answered and when, what is counted, logged, signalled and emitted. No Node-RED.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const send = require('../support/senders');
const { listProviders } = require('../../dist/providers/registry');
const { buildVerifierOptions } = require('../../dist/receive/source');
const { processDelivery, receiveRedaction } = require('../../dist/receive/delivery');
const { createVerifier, authenticationHeaders } = require('../../dist/verify');
const { MemoryInboxStore } = require('../../dist/inbox/memory');
const { onAlertSignal } = require('../../dist/alerts/signals');
const { startReceiver } = require('../support/receiver');

const profile = listProviders().find((p) => p.id === 'salesmagic');
const options = buildVerifierOptions(profile, { provider: profile.id }, { secret: send.SECRETS.svix });
const processor = {
  profile,
  verifier: createVerifier(options),
  redaction: receiveRedaction(authenticationHeaders(options.scheme), [options.secrets[0]]),
};

/** A memory store that writes the way a durable one does: its answer comes later, as a promise. */
class AsyncMemoryStore extends MemoryInboxStore {
  constructor() {
    super();
    this.acceptNow = undefined;
  }
  accept(delivery) {
    return new Promise((resolve) =>
      setImmediate(() => resolve(MemoryInboxStore.prototype.acceptNow.call(this, delivery))),
    );
  }
}

/** A memory store that cannot take deliveries (a full disk, another process holding the file). */
class RefusingStore extends MemoryInboxStore {
  health() {
    return { ok: false, reason: 'the inbox file is in use by another Node-RED', retryAfterSeconds: 7 };
  }
}

const callCompleted = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'sample-events', 'salesmagic', 'call.completed.json'), 'utf8'),
);
let sent = 0;

/** A `call.completed` signed as SalesMagic (Svix) signs it, a new event each time. */
function signed() {
  const rawBody = Buffer.from(JSON.stringify({ ...callCompleted, id: `evt_receiver_${++sent}` }));
  return { rawBody, headers: send.svixHeaders(rawBody), receivedAt: new Date() };
}

describe('delivery receiver', function () {
  let lifecycle;
  let stopSignals;
  afterEach(() => {
    lifecycle?.close();
    stopSignals?.();
  });

  function start(store, { restored } = {}) {
    const signals = [];
    stopSignals = onAlertSignal((signal) => signals.push(signal));
    const started = startReceiver({ processor, store, restored });
    lifecycle = started.lifecycle;
    const { receiver, emitted, refusals } = started;
    /** Receives a body; the answers it got, as `[statusCode, body, headers]`. */
    const receive = (request) => {
      const answers = [];
      receiver.receive(request, (answer) => answers.push([answer.statusCode, answer.body, answer.headers]));
      return answers;
    };
    return { receiver, receive, emitted, refusals, signals };
  }

  it('answers a delivery the memory store took in the same turn, then emits it; a repeat is a duplicate', function () {
    const store = new MemoryInboxStore();
    const { receiver, receive, emitted } = start(store);
    const request = signed();
    assert.deepEqual(receive(request), [[200, '{"received":true}', undefined]], 'answered before receive() returned');
    assert.equal(emitted.length, 1);
    assert.equal(emitted[0].attempt, 1);
    assert.deepEqual(receive({ ...request, receivedAt: new Date() }), [
      [200, '{"received":true,"duplicate":true}', undefined],
    ]);
    assert.equal(emitted.length, 1, 'a duplicate is not emitted');
    assert.deepEqual(receiver.counts, { accepted: 1, rejected: 0, invalid: 0, duplicates: 1 });
  });

  it('the lifecycle gives the memory store’s outcome at once, not as a promise', function () {
    start(new MemoryInboxStore());
    const outcome = lifecycle.accept({
      node: 'in',
      duplicateKey: 'id:k1',
      duplicateWindowMs: 60_000,
      receivedAt: Date.now(),
      rawBody: Buffer.from('{"a":1}'),
      meta: { provider: 'salesmagic', headers: {}, receivedAt: new Date().toISOString() },
      issues: [],
    });
    assert.ok(!(outcome instanceof Promise), 'no promise between the memory store and the answer');
    assert.equal(outcome.stored, true);
  });

  it('a store that writes later: answered once the delivery is stored, and only then emitted', async function () {
    const { receive, emitted } = start(new AsyncMemoryStore());
    const answers = receive(signed());
    assert.deepEqual(answers, [], 'not answered before the store has it');
    assert.equal(emitted.length, 0);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(answers, [[200, '{"received":true}', undefined]]);
    assert.equal(emitted.length, 1);
  });

  it('a forged body: 401, counted, logged with its first bytes, signalled and sent on the refusal output, never emitted', async function () {
    const store = new MemoryInboxStore();
    const { receiver, receive, emitted, refusals, signals } = start(store);
    const request = signed();
    request.headers['svix-signature'] = 'v1,' + Buffer.alloc(32).toString('base64');
    const [[status, body]] = receive(request);
    assert.equal(status, 401);
    assert.match(JSON.parse(body).error, /signature/i);
    assert.equal(emitted.length, 0);
    assert.deepEqual(receiver.counts, { accepted: 0, rejected: 1, invalid: 0, duplicates: 0 });
    assert.deepEqual(signals, [{ type: 'refused', node: 'in', provider: 'salesmagic' }]);
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0].statusCode, 401);
    assert.equal(refusals[0].headers['svix-signature'], '[redacted]', 'the signature header is not shown');
    const [logged] = await store.list({ state: 'rejected' });
    assert.equal(logged.statusCode, 401);
    assert.equal((await store.get(logged.id)).body, request.rawBody.toString('utf8'));
  });

  it('a refusal the endpoint made itself is counted, logged and sent on like any other', async function () {
    const store = new MemoryInboxStore();
    const { receiver, refusals } = start(store);
    receiver.refused({ statusCode: 405, reason: 'method not allowed, use POST', headers: {}, receivedAt: new Date() });
    assert.equal(receiver.counts.rejected, 1);
    assert.equal(refusals[0].statusCode, 405);
    assert.equal((await store.list({ state: 'rejected' }))[0].statusCode, 405);
  });

  it('while the store cannot write: 503 with its Retry-After, counted as refused, nothing stored or emitted', async function () {
    const store = new RefusingStore();
    const { receiver, receive, emitted } = start(store);
    const [[status, body, headers]] = receive(signed());
    assert.equal(status, 503);
    assert.match(JSON.parse(body).error, /cannot store/);
    assert.deepEqual(headers, { 'retry-after': '7' });
    assert.equal(emitted.length, 0);
    assert.equal(receiver.counts.rejected, 1);
    assert.deepEqual(await store.list({ state: 'received' }), []);
  });

  it('decides nothing before the keys saved before a restart are back: a retry at start-up is a duplicate', async function () {
    const store = new MemoryInboxStore();
    const request = signed();
    // The key the first delivery of this event was stored under before the restart.
    const duplicateKey = processDelivery(processor, request, request.receivedAt).key;
    let restore;
    const restored = new Promise((resolve) => (restore = resolve));
    const { receive, emitted } = start(store, { restored });
    const answers = receive({ ...request, receivedAt: new Date() });
    assert.deepEqual(answers, [], 'waits for the saved keys');
    store.restoreKeys('in', [[duplicateKey, Date.now() + 60_000]], 60_000);
    restore();
    await restored;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(answers, [[200, '{"received":true,"duplicate":true}', undefined]]);
    assert.equal(emitted.length, 0);
  });
});
