'use strict';
// Every documented event of the five platforms, as its fixture, through a live sales-webhook in node.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, loadFlow, postRaw, collect } = require('./support/flow');
const send = require('./support/senders');
const { getProvider } = require('../dist/providers/registry');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');

const PLATFORMS = send.PLATFORMS;

describe('every documented event through a live node', function () {
  let running;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await helper.unload();
  });

  for (const [provider, { credentials, sign }] of Object.entries(PLATFORMS)) {
    it(`${provider}: each fixture is accepted, typed and validated`, async function () {
      const profile = getProvider(provider);
      const documented = Object.keys(profile.events);
      const fixtureTypes = fs
        .readdirSync(path.join(send.fixturesDir, provider))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5));
      assert.deepEqual(
        fixtureTypes.filter((t) => documented.includes(t)).sort(),
        [...documented].sort(),
        'a fixture for every documented event',
      );
      running = await loadFlow(
        [webhookInNode, sourceNode],
        [
          { id: 'src', type: 'sales-webhook-source', provider },
          {
            id: 'in',
            type: 'sales-webhook in',
            url: `/webhooks/${provider}`,
            source: 'src',
            wires: [['accepted'], ['rejected']],
          },
          { id: 'accepted', type: 'helper' },
          { id: 'rejected', type: 'helper' },
        ],
        { src: credentials },
      );
      helper
        .getNode('rejected')
        .on('input', (msg) => assert.fail(`rejected: ${JSON.stringify(msg.payload.issues ?? msg.payload.reason)}`));
      for (const eventType of documented) {
        const body = send.fixture(provider, eventType);
        const event = JSON.parse(body);
        const got = collect(helper.getNode('accepted'));
        const res = await postRaw(`${running.baseUrl}/webhooks/${provider}`, { body, headers: sign(body) });
        assert.equal(res.status, 200, `${eventType}: ${res.body}`);
        assert.deepEqual(res.json, { received: true }, eventType);
        const [msg] = await got;
        assert.equal(msg.topic, eventType);
        assert.deepEqual(msg.payload, event);
        assert.equal(msg.webhook.provider, provider);
        assert.equal(msg.webhook.eventType, eventType);
        assert.equal(msg.webhook.known, true, eventType);
        assert.equal(msg.webhook.verified, true);
        const envelope = profile.envelope;
        if (envelope.idPath)
          assert.equal(
            msg.webhook.eventId,
            envelope.idPath.split('.').reduce((o, k) => o?.[k], event),
            `${eventType} id`,
          );
        if (envelope.occurredAtPath) {
          const sent = envelope.occurredAtPath.split('.').reduce((o, k) => o?.[k], event);
          // Text times pass as sent; epoch numbers become ISO 8601.
          assert.equal(
            msg.webhook.occurredAt,
            typeof sent === 'number' ? new Date(sent).toISOString() : sent,
            `${eventType} time`,
          );
        }
      }
    });
  }
});
