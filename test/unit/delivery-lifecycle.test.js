'use strict';
// The delivery lifecycle and its message tracker alone, with the memory store: no Node-RED.
const assert = require('node:assert/strict');
const { MessageTracker } = require('../../dist/delivery/tracker');
const { DeliveryLifecycle } = require('../../dist/delivery/lifecycle');
const { MemoryInboxStore } = require('../../dist/inbox/memory');
const { subscribeToAnnouncements } = require('../../dist/delivery/announce');
const { inboxConsumer } = require('../../dist/delivery/registry');

function recorder() {
  const events = [];
  return {
    events,
    emission: { handled: () => events.push('handled'), failed: (reason) => events.push(`failed: ${reason}`) },
  };
}

describe('message tracker', function () {
  it("adds Node-RED's messaging hooks only once a plain flow's message is followed, and removes them at release", function () {
    const { hooks, log, util } = require('@node-red/util');
    const { acquireMessageTracker } = require('../../dist/nodes/delivery-hooks');
    const hooked = () =>
      ['preRoute', 'preDeliver', 'onReceive', 'postReceive', 'onComplete'].map((id) =>
        hooks.has(`${id}.salesWebhooksDelivery`),
      );
    const held = acquireMessageTracker({ util, log });
    try {
      // A node whose outputs all reach a settling point never follows a message: no message of the runtime pays.
      assert.deepEqual(hooked(), [false, false, false, false, false]);
      held.tracker.track('m', recorder().emission);
      assert.deepEqual(hooked(), [true, true, true, true, true]);
    } finally {
      held.release();
    }
    assert.deepEqual(hooked(), [false, false, false, false, false]);
  });

  it('is handled only when the last node down the flow reported done, not when the first did', function () {
    const tracker = new MessageTracker();
    const { events, emission } = recorder();
    tracker.track('m', emission);
    tracker.queued('m', 'function');
    tracker.sendReturned('m');
    tracker.received('m', 'function');
    tracker.queued('m', 'file'); // the function node sends on before it reports done
    tracker.handlerReturned('m', 'function', false);
    tracker.completed('m', 'function');
    assert.deepEqual(events, [], 'the file node still holds it');
    tracker.received('m', 'file');
    tracker.handlerReturned('m', 'file', false);
    tracker.completed('m', 'file');
    assert.deepEqual(events, ['handled']);
    assert.equal(tracker.size, 0);
  });

  it('counts a message handed over directly (link out → link in) and a handler that takes no done', function () {
    const tracker = new MessageTracker();
    const { events, emission } = recorder();
    tracker.track('m', emission);
    tracker.queued('m', 'link-out');
    tracker.sendReturned('m');
    tracker.received('m', 'link-out');
    tracker.received('m', 'link-in'); // within link out's handler, not through a wire
    tracker.queued('m', 'legacy');
    tracker.handlerReturned('m', 'link-in', false);
    tracker.completed('m', 'link-in');
    tracker.handlerReturned('m', 'link-out', false);
    tracker.completed('m', 'link-out');
    tracker.received('m', 'legacy');
    assert.deepEqual(events, []);
    tracker.handlerReturned('m', 'legacy', true);
    assert.deepEqual(events, ['handled']);
  });

  it('fails with the reason a node reported, a handler that threw, or a copy that could not be made', function () {
    const tracker = new MessageTracker();
    const done = recorder();
    tracker.track('a', done.emission);
    tracker.queued('a', 'n');
    tracker.sendReturned('a');
    tracker.received('a', 'n');
    tracker.handlerReturned('a', 'n', false);
    tracker.completed('a', 'n', 'disk full');
    assert.deepEqual(done.events, ['failed: disk full']);

    const threw = recorder();
    tracker.track('b', threw.emission);
    tracker.queued('b', 'n');
    tracker.sendReturned('b');
    tracker.received('b', 'n');
    tracker.nodeError('other', 'not this one');
    tracker.nodeError('n', 'TypeError: x is undefined');
    tracker.handlerReturned('b', 'n', false);
    assert.deepEqual(threw.events, ['failed: TypeError: x is undefined']);

    const copy = recorder();
    tracker.track('c', copy.emission);
    tracker.queued('c', 'first');
    tracker.undeliverable('c', 'could not be copied');
    tracker.sendReturned('c');
    tracker.received('c', 'first');
    tracker.completed('c', 'first');
    assert.deepEqual(copy.events, ['failed: could not be copied']);
  });

  it('a message sent nowhere is handled once send() returned', function () {
    const tracker = new MessageTracker();
    const { events, emission } = recorder();
    tracker.track('m', emission);
    assert.deepEqual(events, []);
    tracker.sendReturned('m');
    assert.deepEqual(events, ['handled']);
  });
});

/** A memory store whose health a test sets. */
class SickableStore extends MemoryInboxStore {
  constructor() {
    super();
    this.current = { ok: true };
    this.listeners = new Set();
  }
  health() {
    return this.current;
  }
  onHealthChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  setHealth(health) {
    this.current = health;
    for (const listener of this.listeners) listener(health);
  }
}

const incoming = (key) => ({
  node: 'in',
  duplicateKey: key,
  duplicateWindowMs: 60_000,
  receivedAt: Date.now(),
  rawBody: Buffer.from('{"a":1}'),
  meta: { provider: 'hmac', headers: {}, receivedAt: new Date().toISOString() },
  issues: [],
});

describe('delivery lifecycle', function () {
  let lifecycle;
  afterEach(() => lifecycle?.close());

  function start(store) {
    const sent = [];
    const health = [];
    const tracker = new MessageTracker();
    lifecycle = new DeliveryLifecycle({
      node: 'in',
      store,
      tracker,
      leaseMs: 60_000,
      maxAttempts: 3,
      host: {
        // As Node-RED does: the message is queued for the next node before send() returns.
        send: (emission, msgid) => {
          sent.push({ emission, msgid });
          tracker.queued(msgid, 'file');
        },
        newMessageId: (() => {
          let n = 0;
          return () => `m${++n}`;
        })(),
        healthChanged: (h) => health.push(h),
        error: (err) => {
          throw err;
        },
      },
    });
    lifecycle.setSettlingPoints([false, false]);
    lifecycle.start();
    return { sent, health, tracker };
  }

  it('while the store is unhealthy: nothing is acknowledged (its reason and Retry-After), nothing emitted; then it is', async function () {
    const store = new SickableStore();
    const { sent, health, tracker } = start(store);
    store.setHealth({ ok: false, reason: 'the inbox file is in use by another Node-RED', retryAfterSeconds: 7 });
    assert.deepEqual(health.at(-1), {
      ok: false,
      reason: 'the inbox file is in use by another Node-RED',
      retryAfterSeconds: 7,
    });
    assert.deepEqual(await lifecycle.accept(incoming('k1')), {
      unavailable: 'the inbox file is in use by another Node-RED',
      retryAfterSeconds: 7,
    });
    assert.deepEqual(await store.list({}), [], 'nothing stored');

    store.setHealth({ ok: true });
    const accepted = await lifecycle.accept(incoming('k1'));
    assert.equal(accepted.stored, true);
    lifecycle.emitAccepted({
      id: accepted.deliveryId,
      payload: { a: 1 },
      meta: incoming('k1').meta,
      issues: [],
      attempt: 1,
      replay: false,
    });
    assert.equal(sent.length, 1);
    assert.equal((await store.get(accepted.deliveryId)).state, 'emitted', 'not settled at send()');
    tracker.received(sent[0].msgid, 'file');
    tracker.completed(sent[0].msgid, 'file');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await store.get(accepted.deliveryId)).state, 'handled');
  });

  it('a replay asked of the node is announced received by the lifecycle, then emitted again at once', async function () {
    const store = new MemoryInboxStore();
    const { sent, tracker } = start(store);
    const accepted = await lifecycle.accept(incoming('k1'));
    await store.settle(accepted.deliveryId, { state: 'failed', reason: 'CRM down', at: Date.now() });
    const announced = [];
    const stop = subscribeToAnnouncements((a) => announced.push(`${a.id} ${a.node} ${a.state}`));
    try {
      await store.requestReplay([accepted.deliveryId]);
      inboxConsumer('in').replayed(accepted.deliveryId);
      assert.deepEqual(announced, [`${accepted.deliveryId} in received`]);
      for (let i = 0; i < 50 && sent.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(sent.length, 1, 'emitted without waiting for the next poll');
      assert.equal(sent[0].emission.replay, true);
      assert.deepEqual(announced, [`${accepted.deliveryId} in received`, `${accepted.deliveryId} in emitted`]);
    } finally {
      stop();
      tracker.forget(sent[0]?.msgid);
    }
  });
});
