'use strict';
// A receiving node's working parts without Node-RED: a DeliveryReceiver over a DeliveryLifecycle and a store, with a
// settling point downstream (emissions are left to it), recording what was emitted and sent on the refusal output.
const { DeliveryReceiver } = require('../../dist/delivery/receiver');
const { DeliveryLifecycle } = require('../../dist/delivery/lifecycle');
const { MessageTracker } = require('../../dist/delivery/tracker');
const { MemoryInboxStore } = require('../../dist/inbox/memory');

const rethrow = (err) => {
  throw err;
};

/** Options: processor, store (a memory store), maxBytes, bodyTimeoutMs, restored. Close it with `lifecycle.close()`. */
function startReceiver({
  processor,
  store = new MemoryInboxStore(),
  maxBytes = 1024 * 1024,
  bodyTimeoutMs = 5000,
  restored,
}) {
  const emitted = [];
  const refusals = [];
  const lifecycle = new DeliveryLifecycle({
    node: 'in',
    store,
    tracker: new MessageTracker(),
    leaseMs: 60_000,
    maxAttempts: 3,
    host: {
      send: (emission) => emitted.push(emission),
      newMessageId: () => `m${emitted.length}`,
      healthChanged: () => {},
      error: rethrow,
    },
  });
  lifecycle.setSettlingPoints([true, true]);
  lifecycle.start();
  const receiver = new DeliveryReceiver({
    node: 'in',
    processor,
    lifecycle,
    maxBytes,
    bodyTimeoutMs,
    redaction: processor.redaction,
    duplicateWindowMs: 60_000,
    duplicateLimit: 1000,
    restored,
    host: { countsChanged: () => {}, sendRefused: (rejection) => refusals.push(rejection), error: rethrow },
  });
  return { receiver, lifecycle, store, emitted, refusals };
}

module.exports = { startReceiver };
