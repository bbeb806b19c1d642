'use strict';
// Issue 10: what a hostile or broken sender could do through the node's logic (duplicates, leaks), in the real
// runtime through node-red-node-test-helper. Routing, sockets and the admin app are in hardening-real.test.js.
const assert = require('node:assert/strict');
const { helper, loadFlow, postRaw, collect, settle } = require('./support/flow');
const send = require('./support/senders');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');
const leadMapNode = require('../nodes/sales-lead-map.js');
const { compileMapping } = require('../dist/leadmap');

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
      const { url, rejected } = await start(
        { provider: 'header-token', headerName: 'x-webhok-token' },
        { token: TOKEN },
      );
      const got = collect(rejected);
      const res = await postRaw(url, {
        body: '{"type":"x"}',
        headers: {
          'content-type': 'application/json',
          'x-webhook-token': TOKEN,
          'proxy-authorization': 'Basic cHJveHk6cGFzcw==',
          'x-shop-key': TOKEN,
          'x-trace': 'abc',
        },
      });
      assert.equal(res.status, 401);
      const [msg] = await got;
      assert.deepEqual(leaks(msg, [TOKEN, 'cHJveHk6cGFzcw==']), []);
      assert.equal(msg.payload.headers['x-webhook-token'], '[redacted]');
      assert.equal(msg.payload.headers['proxy-authorization'], '[redacted]');
      assert.equal(msg.payload.headers['x-shop-key'], '[redacted]');
      assert.equal(msg.payload.headers['x-trace'], 'abc');
    });

    it("an empty token (503): the sender's token and other providers' authentication headers are redacted", async function () {
      const { url, rejected } = await start({ provider: 'saleassist' }, { token: '' });
      const got = collect(rejected);
      const stripeHeader = 't=1,v1=' + 'ab'.repeat(32);
      const res = await postRaw(url, {
        body: '{}',
        headers: {
          'content-type': 'application/json',
          'x-webhook-token': 'real-sender-token-123',
          'proxy-authorization': 'Bearer p-123456',
          'stripe-signature': stripeHeader,
          'x-callcall-signature': 'cd'.repeat(32),
        },
      });
      assert.equal(res.status, 503);
      const [msg] = await got;
      assert.equal(msg.payload.statusCode, 503);
      assert.deepEqual(leaks(msg, ['real-sender-token-123', 'p-123456', stripeHeader, 'cd'.repeat(32)]), []);
    });
  });

  describe('defects 8 and 9: JSONPath filters on sender data', function () {
    // 34 characters that make /^(a+)+$/ backtrack for minutes in JavaScript's engine.
    const EVIL_INPUT = 'a'.repeat(34) + '!';

    async function startLeadMap(mappings, options = {}) {
      const flow = [
        { id: 'map', type: 'sales-lead-map', mappings, split: false, ...options, wires: [['leads'], ['failed']] },
        { id: 'leads', type: 'helper' },
        { id: 'failed', type: 'helper' },
      ];
      await helper.load(leadMapNode, flow);
      return { map: helper.getNode('map'), leads: helper.getNode('leads'), failed: helper.getNode('failed') };
    }

    it('a filter meeting null, a missing property or a non-number skips that item; the valid records still become leads', async function () {
      const { map, leads } = await startLeadMap(
        [{ field: 'email', path: 'items[?(@.score > 3)].email', type: 'email', required: true }],
        { split: true, splitPath: 'items[?(@.score > 3)]' },
      );
      const got = collect(leads, 2);
      map.receive({
        payload: {
          items: [
            null,
            {},
            { score: 'high' },
            { score: 5, email: 'a@example.com' },
            { score: 9, email: 'b@example.com' },
          ],
        },
      });
      assert.deepEqual(
        (await got).map((m) => m.payload.email),
        ['a@example.com', 'b@example.com'],
      );
    });

    it("a row that cannot be evaluated is that row's failure on output 2, never a lost message", async function () {
      const { map, failed } = await startLeadMap([
        { field: 'email', path: 'items[?(@.score > 3)].email', type: 'email', required: true },
      ]);
      const got = collect(failed);
      map.receive({ payload: { items: [null, { score: 'x' }] } });
      const [msg] = await got;
      assert.equal(msg.error.fields[0].field, 'email');
    });

    it('a backtracking pattern on sender data cannot stall the event loop: regular expressions run in linear time', async function () {
      // In a worker, so that a stalled engine fails this test instead of freezing the test run.
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(
        `
        const { parentPort, workerData } = require('node:worker_threads');
        const { compileMapping, mapEvent } = require(workerData.leadmap);
        const emails = (path, items) => mapEvent(compileMapping([{ field: 'email', path, type: 'email' }]), { items }).leads.map((l) => l.email);
        parentPort.postMessage([
          emails('items[?(@.name.match(/^(a+)+$/))].email', [{ name: workerData.evil, email: 'x@example.com' }, { name: 'aaa', email: 'y@example.com' }]),
          // A pattern the sender sends is no different.
          emails('items[?(@.name.match(@.pattern))].email', [{ name: workerData.evil, pattern: '^(a+)+$', email: 'x@example.com' }]),
          emails('items[?(/^(a+)+$/i.test(@.name))].email', [{ name: workerData.evil, email: 'x@example.com' }, { name: 'AA', email: 'z@example.com' }]),
        ]);
      `,
        { eval: true, workerData: { leadmap: require.resolve('../dist/leadmap'), evil: EVIL_INPUT } },
      );
      const result = await Promise.race([
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
        new Promise((resolve) => setTimeout(() => resolve('stalled'), 10000)),
      ]).finally(() => worker.terminate());
      // The sender's pattern selects nothing here: the event still makes its one lead, without an email.
      assert.deepEqual(result, [['y@example.com'], [undefined], ['z@example.com']]);
    });

    it('a pattern that needs backtracking (a backreference) is refused at deploy, naming the row', function () {
      assert.throws(
        () => compileMapping([{ field: 'email', path: 'items[?(@.name.match(/(a)\\1/))].email', type: 'email' }]),
        /row 1 \(email\).*linear time/,
      );
      assert.throws(
        () => compileMapping([{ field: 'email', path: 'items[?(@.name.replace(/a/, "b"))].email', type: 'email' }]),
        /row 1 \(email\)/,
      );
    });

    it('the preview endpoint is bounded and answers JSON when it fails', async function () {
      await helper.load(leadMapNode, []);
      const evil = await helper
        .request()
        .post('/sales-lead-map/preview')
        .send({
          mappings: [{ field: 'email', path: 'name', type: 'email', required: true }],
          split: true,
          splitPath: 'items[?(@.name.match(/^(a+)+$/) == null)]',
          // Shorter than EVIL_INPUT so that an unbounded, backtracking preview fails this test rather than hanging it.
          sample: { items: Array.from({ length: 500 }, () => ({ name: 'a'.repeat(18) + '!' })) },
        });
      assert.equal(evil.status, 200);
      // One failure shared by the records it names, with their count.
      assert.deepEqual(
        evil.body.failures.map((f) => [f.field, f.records]),
        [['email', 200]],
        'at most 200 records are previewed, each failing its required email',
      );
      const broken = await helper
        .request()
        .post('/sales-lead-map/preview')
        .send({ mappings: [null], sample: {} });
      assert.equal(broken.status, 400);
      assert.match(broken.headers['content-type'], /json/);
      assert.equal(typeof broken.body.error, 'string');
    });
  });
});
