'use strict';
// seed: a STAND-IN for the inbox wiring of `sales webhook in` (branch `inbox`), so the delivery log can be tested in a
// real Node-RED before that lands. It does what the wired node will do, through the same store and registry: stores
// each verified message it gets, registers as the inbox consumer of its `owner` node, and emits what is due when the
// log pokes it (replay). Once the wiring is merged, flows use the real node and this file is deleted.
const crypto = require('node:crypto');
const { acquireSqliteInbox, releaseInbox } = require('../../../dist/inbox');
const { inboxFile } = require('../../../dist/inbox/location');
const { registerInboxConsumer } = require('../../../dist/nodes/inbox-registry');
const { announceDelivery } = require('../../../dist/nodes/delivery-announce');

/** The first e-mail address and name anywhere in the event: what a lead map would make of it. */
function leadOf(value, lead = {}) {
  if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && key === 'email' && !lead.email) lead.email = v;
      else if (typeof v === 'string' && key === 'name' && !lead.name) lead.name = v;
      else leadOf(v, lead);
    }
  }
  return lead;
}

module.exports = function (RED) {
  function InboxStandin(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const owner = config.owner;
    const store = acquireSqliteInbox(inboxFile(RED.settings));
    const emit = (id, meta, payload, attempt, replay) => node.send({ payload, webhook: { ...meta, deliveryId: id, attempt, replay } });
    const unregister = registerInboxConsumer({
      nodeId: owner,
      store,
      poke() {
        store.claimDue({ node: owner, now: Date.now(), leaseMs: 60000, maxAttempts: 5, limit: 100, settles: false }).then((due) => {
          for (const d of due) {
            emit(d.id, d.meta, JSON.parse(d.rawBody.toString('utf8')), d.attempt, d.replay);
            announceDelivery(RED, { id: d.id, node: owner, state: 'delivered' });
          }
        }, (err) => node.error(err.message));
      },
    });
    node.on('input', async (msg, send, done) => {
      try {
        const rawBody = Buffer.from(JSON.stringify(msg.payload));
        const stored = await store.accept({
          node: owner, duplicateKey: `standin:${msg.webhook.eventId || crypto.randomUUID()}`, duplicateWindowMs: 3600_000,
          receivedAt: Date.now(), rawBody, meta: msg.webhook, issues: [],
        });
        if (!stored.stored) return done();
        announceDelivery(RED, { id: stored.id, node: owner, state: 'received' });
        await store.markEmitted(stored.id, { attempt: 1, settles: false, leads: [leadOf(msg.payload)] });
        announceDelivery(RED, { id: stored.id, node: owner, state: 'delivered' });
        send({ ...msg, webhook: { ...msg.webhook, deliveryId: stored.id, attempt: 1, replay: false } });
        done();
      } catch (err) {
        done(err);
      }
    });
    node.on('close', (done) => {
      unregister();
      releaseInbox(store).then(() => done(), () => done());
    });
  }
  RED.nodes.registerType('inbox-standin', InboxStandin);
};
