'use strict';
// Issue 10: what a hostile or broken sender could do through the node's logic (duplicates, leaks), in the real
// runtime through node-red-node-test-helper. Routing, sockets and the admin app are in hardening-real.test.js.
const assert = require('node:assert/strict');
const { helper, loadFlow, postRaw, collect, settle } = require('./support/flow');
const send = require('./support/senders');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');

const NODES = [webhookInNode, sourceNode];

describe('sales-webhook in against hostile senders', function () {
  let running;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    if (running) await running.close();
    running = undefined;
    await helper.unload();
  });

  async function start(source, credentials) {
    const flow = [
      { id: 'src', type: 'sales-webhook-source', ...source },
      { id: 'in', type: 'sales-webhook in', url: '/hooks/test', source: 'src', wires: [['accepted'], ['rejected']] },
      { id: 'accepted', type: 'helper' },
      { id: 'rejected', type: 'helper' },
    ];
    running = await loadFlow(NODES, flow, { src: credentials });
    const accepted = helper.getNode('accepted');
    const rejected = helper.getNode('rejected');
    const emitted = [];
    accepted.on('input', (msg) => emitted.push(msg));
    return { url: `${running.baseUrl}/hooks/test`, accepted, rejected, emitted };
  }

  describe('defect 3: a duplicate key only from what the signature covers', function () {
    it('GitHub: a captured delivery re-sent with a new X-GitHub-Delivery is a duplicate', async function () {
      const { url, emitted } = await start({ provider: 'github' }, { secret: send.SECRETS.hmac });
      const body = Buffer.from('{"zen":"Keep it logically awesome.","hook_id":1}');
      const first = await postRaw(url, { body, headers: send.githubHeaders(body, { id: 'delivery-1' }) });
      assert.deepEqual(first.json, { received: true });
      for (const id of ['delivery-2', 'delivery-3']) {
        const replay = await postRaw(url, { body, headers: send.githubHeaders(body, { id }) });
        assert.deepEqual(replay.json, { received: true, duplicate: true }, id);
      }
      await settle();
      assert.equal(emitted.length, 1);
      assert.equal(emitted[0].webhook.eventId, 'delivery-1', 'the header id is still shown');
    });

    it('recorder: the signed JSON.stringify form re-sent with a trailing space, pretty-printed or a repeated key is a duplicate', async function () {
      const { url, emitted } = await start({ provider: 'recorder' }, { secret: send.SECRETS.hmac });
      const original = send.fixture('recorder', 'recording.created');
      const headers = send.recorderDocumentedExampleHeaders(original);
      const payload = JSON.parse(original.toString());
      const compact = JSON.stringify(payload);
      const variants = [
        original,
        Buffer.from(compact),
        Buffer.from(compact + ' '),
        Buffer.from(JSON.stringify(payload, null, 2)),
        Buffer.from(`{"event":"meeting.deleted",${compact.slice(1)}`),
      ];
      const answers = [];
      for (const body of variants) answers.push((await postRaw(url, { body, headers })).json);
      assert.deepEqual(answers[0], { received: true });
      for (const answer of answers.slice(1)) assert.deepEqual(answer, { received: true, duplicate: true });
      await settle();
      assert.equal(emitted.length, 1);
    });
  });

  describe('defect 5: credentials never reach output 2', function () {
    const TOKEN = send.SECRETS.token;
    const leaks = (msg, values) => values.filter((value) => JSON.stringify(msg).includes(value));

    it('a mistyped header name: the real token header, proxy-authorization and any header carrying the token are redacted', async function () {
      const { url, rejected } = await start({ provider: 'header-token', headerName: 'x-webhok-token' }, { token: TOKEN });
      const got = collect(rejected);
      const res = await postRaw(url, {
        body: '{"type":"x"}',
        headers: { 'content-type': 'application/json', 'x-webhook-token': TOKEN, 'proxy-authorization': 'Basic cHJveHk6cGFzcw==', 'x-shop-key': TOKEN, 'x-trace': 'abc' },
      });
      assert.equal(res.status, 401);
      const [msg] = await got;
      assert.deepEqual(leaks(msg, [TOKEN, 'cHJveHk6cGFzcw==']), []);
      assert.equal(msg.payload.headers['x-webhook-token'], '[redacted]');
      assert.equal(msg.payload.headers['proxy-authorization'], '[redacted]');
      assert.equal(msg.payload.headers['x-shop-key'], '[redacted]');
      assert.equal(msg.payload.headers['x-trace'], 'abc');
    });

    it('an empty token (503): the sender\'s token and other providers\' authentication headers are redacted', async function () {
      const { url, rejected } = await start({ provider: 'saleassist' }, { token: '' });
      const got = collect(rejected);
      const stripeHeader = 't=1,v1=' + 'ab'.repeat(32);
      const res = await postRaw(url, {
        body: '{}',
        headers: { 'content-type': 'application/json', 'x-webhook-token': 'real-sender-token-123', 'proxy-authorization': 'Bearer p-123456', 'stripe-signature': stripeHeader, 'x-callcall-signature': 'cd'.repeat(32) },
      });
      assert.equal(res.status, 503);
      const [msg] = await got;
      assert.equal(msg.payload.statusCode, 503);
      assert.deepEqual(leaks(msg, ['real-sender-token-123', 'p-123456', stripeHeader, 'cd'.repeat(32)]), []);
    });
  });
});
