'use strict';
// The durable inbox in the receive path, in the real Node-RED runtime (node-red-node-test-helper) over real HTTP:
// 2xx only once stored, 503 when the disk is full, duplicates across a restart, settling (settle node, Catch, split
// leads), leases with back-off and an attempt limit, recovery after a restart, replay, and the refusal log.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, loadFlow, postRaw, collect, settle, coreNode } = require('./support/flow');
const send = require('./support/senders');
const { getLeadPreset } = require('../dist/providers/registry');
const { inboxConsumer } = require('../dist/delivery/registry');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');
const settleNode = require('../nodes/sales-webhook-settle.js');
const leadMapNode = require('../nodes/sales-lead-map.js');
const statusNode = coreNode('common/25-status.js');
const catchNode = coreNode('common/25-catch.js');
const functionNode = coreNode('function/10-function.js');

const NODES = [webhookInNode, sourceNode, settleNode, leadMapNode, statusNode, catchNode, functionNode];
const CREDENTIALS = { src: { token: send.SECRETS.token } };

/** A SaleAssist delivery for one person: a distinct body (SaleAssist sends no event id, so the bytes are the key). */
function saleassistBody(email) {
  const event = JSON.parse(send.fixture('saleassist', 'widget_new_conversation'));
  event.payload.people_detail = { ...event.payload.people_detail, email };
  return JSON.stringify(event);
}
const post = (url, body, headers = send.tokenHeaders(body)) => postRaw(url, { body, headers });

/** `in` → `accepted` (a tap on output 1), plus whatever nodes `extra` adds wired from output 1 (ids in `wiredTo`). */
function inboxFlow({ node = {}, wiredTo = [], extra = [] } = {}) {
  // On a tab: a Catch node only sees the nodes of its own tab.
  return [
    { id: 'f', type: 'tab' },
    { id: 'src', type: 'sales-webhook-source', provider: 'saleassist' },
    {
      id: 'in',
      type: 'sales-webhook in',
      url: '/hooks/inbox',
      source: 'src',
      wires: [['accepted', ...wiredTo], ['rejected']],
      ...node,
    },
    { id: 'accepted', type: 'helper' },
    { id: 'rejected', type: 'helper' },
    { id: 'watch-status', type: 'status', scope: ['in'], wires: [['statuses']] },
    { id: 'statuses', type: 'helper' },
    ...extra,
  ].map((n) => (n.type === 'tab' || n.type === 'sales-webhook-source' ? n : { z: 'f', ...n }));
}

const waitFor = async (predicate, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await settle(25);
  }
};

describe('durable inbox in the flow', function () {
  this.timeout(30000);
  let running;
  const dirs = [];
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    if (running) await running.close();
    running = undefined;
    await helper.unload();
    helper.settings({});
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(flow, options = {}) {
    running = await loadFlow(NODES, flow, CREDENTIALS, options);
    if (!options.userDir) dirs.push(running.userDir);
    return { url: `${running.baseUrl}/hooks/inbox`, store: () => inboxConsumer('in').store };
  }
  async function restart(flow) {
    const userDir = running.userDir;
    await running.close();
    running = undefined;
    await helper.unload();
    return start(flow, { userDir });
  }

  it('answers 2xx only once stored: the stored bytes are exact and msg.webhook carries deliveryId, attempt, replay and node', async function () {
    const { url, store } = await start(inboxFlow());
    const body = saleassistBody('exact@example.com').replace('{', '{ ');
    const got = collect(helper.getNode('accepted'));
    const res = await post(url, body);
    assert.equal(res.status, 200, res.body);
    const [msg] = await got;
    assert.equal(typeof msg.webhook.deliveryId, 'string');
    assert.equal(msg.webhook.attempt, 1);
    assert.equal(msg.webhook.replay, false);
    assert.equal(msg.webhook.node, 'in');
    // A 200 was sent, so the record is there: exact bytes, redacted token; handled once the flow (no CRM) finished.
    const record = await store().get(msg.webhook.deliveryId);
    assert.equal(record.body, body);
    assert.equal(record.headers['x-webhook-token'], '[redacted]');
    assert.ok(!JSON.stringify(record).includes(send.SECRETS.token));
    await waitFor(async () => (await store().get(msg.webhook.deliveryId)).state === 'handled');
    assert.ok(
      fs.existsSync(path.join(running.userDir, 'sales-webhooks.db')),
      'the default file is sales-webhooks.db in the user directory',
    );
  });

  it('an authentic event that fails its schema is stored with its issues, goes to output 2 with its delivery id, and is not emitted again', async function () {
    const { url, store } = await start(inboxFlow());
    const event = JSON.parse(saleassistBody('schema@example.com'));
    event.payload.people_detail.email = 42;
    const body = JSON.stringify(event);
    const got = collect(helper.getNode('rejected'));
    const res = await post(url, body);
    assert.deepEqual(res.json, { received: true, valid: false });
    const [msg] = await got;
    assert.equal(msg.webhook.attempt, 1);
    const record = await waitFor(async () => {
      const r = await store().get(msg.webhook.deliveryId);
      return r.state === 'handled' && r;
    });
    assert.equal(record.body, body);
    assert.ok(
      record.issues.some((issue) => issue.startsWith('payload.people_detail.email')),
      record.issues.join('; '),
    );
  });

  it('a retry after a restart is a duplicate, with no context store configured; nothing is emitted again', async function () {
    const flow = inboxFlow();
    let { url } = await start(flow);
    const body = saleassistBody('retry@example.com');
    const got = collect(helper.getNode('accepted'));
    assert.deepEqual((await post(url, body)).json, { received: true });
    await got;
    ({ url } = await restart(flow));
    let emitted = 0;
    helper.getNode('accepted').on('input', () => emitted++);
    const again = await post(url, body);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, { received: true, duplicate: true });
    await settle(300);
    assert.equal(emitted, 0, 'neither the retry nor recovery emitted the delivered delivery again');
  });

  it('logs refusals (401, 415, 405) with reason and redacted headers, flagged unverified, never emitted', async function () {
    const { url, store } = await start(inboxFlow());
    let emitted = 0;
    helper.getNode('accepted').on('input', () => emitted++);
    const body = saleassistBody('forged@example.com');
    assert.equal((await post(url, body, send.tokenHeaders(body, { token: 'wrong-token' }))).status, 401);
    assert.equal(
      (await post(url, body, { 'content-type': 'text/plain', 'x-webhook-token': send.SECRETS.token })).status,
      415,
    );
    assert.equal((await postRaw(url, { method: 'PUT', body, headers: send.tokenHeaders(body) })).status, 405);
    const rejected = await waitFor(async () => {
      const rows = await store().list({ state: 'rejected' });
      return rows.length === 3 && rows;
    });
    assert.deepEqual(rejected.map((r) => r.statusCode).sort(), [401, 405, 415]);
    const forged = await store().get(rejected.find((r) => r.statusCode === 401).id);
    assert.equal(forged.headers['x-webhook-token'], '[redacted]');
    assert.ok(forged.body.startsWith('{"event_type"') && forged.body.length <= 4096, 'the first 4 KiB of the body');
    assert.equal(forged.bodyTruncated, true);
    assert.ok(!JSON.stringify(forged).includes('wrong-token'));
    assert.equal(emitted, 0);
  });

  it('settle node: delivered after the flow finished, failed through Catch → settle with the error as reason', async function () {
    const flow = inboxFlow({
      wiredTo: ['work'],
      extra: [
        {
          id: 'work',
          type: 'function',
          func: "if (msg.payload.payload.people_detail.email.startsWith('bad')) throw new Error('database refused the row'); return msg;",
          outputs: 1,
          wires: [['done']],
        },
        { id: 'done', type: 'sales-webhook settle', name: 'saved', wires: [['settled']] },
        { id: 'catcher', type: 'catch', scope: ['work'], uncaught: false, wires: [['done']] },
        { id: 'settled', type: 'helper' },
      ],
    });
    const { url, store } = await start(flow);
    const settled = collect(helper.getNode('settled'), 2);
    assert.equal((await post(url, saleassistBody('good@example.com'))).status, 200);
    assert.equal((await post(url, saleassistBody('bad@example.com'))).status, 200);
    const messages = await settled;
    const byEmail = Object.fromEntries(messages.map((m) => [m.payload.payload.people_detail.email, m]));
    const good = await store().get(byEmail['good@example.com'].webhook.deliveryId);
    const bad = await store().get(byEmail['bad@example.com'].webhook.deliveryId);
    assert.equal(good.state, 'delivered');
    assert.equal(good.settlements[0].system, 'saved');
    assert.equal(bad.state, 'failed');
    assert.match(bad.settlements[0].reason, /database refused the row/);
  });

  it('split leads: the delivery is settled once every lead is; lead map marks msg.webhook.part and notes the leads', async function () {
    const preset = getLeadPreset('salesmagic:call.completed');
    const flow = [
      { id: 'src', type: 'sales-webhook-source', provider: 'salesmagic' },
      { id: 'in', type: 'sales-webhook in', url: '/hooks/inbox', source: 'src', wires: [['map'], []] },
      {
        id: 'map',
        type: 'sales-lead-map',
        preset: preset.id,
        mappings: preset.mappings,
        property: 'payload',
        split: true,
        splitPath: preset.splitPath,
        version: 1,
        wires: [['hold'], []],
      },
      // Holds the second lead back until the test releases it, so the half-settled state can be seen.
      {
        id: 'hold',
        type: 'function',
        func: "if (msg.webhook.part.index === 1) { context.set('held', msg); return null; } return msg;",
        outputs: 1,
        wires: [['done']],
      },
      { id: 'done', type: 'sales-webhook settle', wires: [['settled']] },
      { id: 'settled', type: 'helper' },
    ];
    running = await loadFlow(NODES, flow, { src: { secret: send.SECRETS.svix } });
    dirs.push(running.userDir);
    const body = send.fixture('salesmagic', 'call.completed');
    const first = collect(helper.getNode('settled'));
    assert.equal(
      (await postRaw(`${running.baseUrl}/hooks/inbox`, { body, headers: send.svixHeaders(body) })).status,
      200,
    );
    const [one] = await first;
    assert.deepEqual(one.webhook.part, { index: 0, count: 2 });
    const store = inboxConsumer('in').store;
    const id = one.webhook.deliveryId;
    await waitFor(async () => (await store.get(id)).leads.length === 2);
    assert.equal((await store.get(id)).state, 'emitted', 'one of two leads settled: not yet delivered');
    const held = helper.getNode('hold').context().get('held');
    const second = collect(helper.getNode('settled'));
    helper.getNode('done').receive(held);
    await second;
    const record = await store.get(id);
    assert.equal(record.state, 'delivered');
    assert.deepEqual(
      record.settlements.map((s) => s.part).sort((a, b) => a.index - b.index),
      [
        { index: 0, count: 2 },
        { index: 1, count: 2 },
      ],
    );
  });

  it('a lead map that cannot make a lead fails the delivery at once, saying why; it is not emitted again at each lease', async function () {
    const flow = inboxFlow({
      // A lease long enough that a loaded machine settles within it, short enough to end twice during the test.
      node: { leaseMinutes: 0.015, maxAttempts: 3 },
      wiredTo: ['map'],
      extra: [
        {
          id: 'map',
          type: 'sales-lead-map',
          property: 'payload',
          split: false,
          splitPath: '',
          mappings: [{ field: 'email', path: 'payload.people_detail.email', type: 'email', required: true }],
          version: 1,
          wires: [['done'], ['unmapped']],
        },
        { id: 'done', type: 'sales-webhook settle', wires: [[]] },
        { id: 'unmapped', type: 'helper' },
      ],
    });
    const { url, store } = await start(flow);
    let emissions = 0;
    helper.getNode('accepted').on('input', () => emissions++);
    const unmapped = collect(helper.getNode('unmapped'));
    assert.equal((await post(url, saleassistBody('not an address'))).status, 200);
    const [msg] = await unmapped;
    const record = await waitFor(async () => {
      const r = await store().get(msg.webhook.deliveryId);
      return r.state === 'failed' && r;
    });
    assert.equal(record.settlements.length, 1);
    assert.equal(record.settlements[0].system, 'lead map');
    assert.match(record.settlements[0].reason, /email/);
    assert.equal(record.settlements[0].reason, msg.error.message);
    // Three leases (0.3 s, then 0.6 s) would have emitted it again by now.
    await settle(1200);
    assert.equal(emissions, 1);
    assert.equal((await store().get(msg.webhook.deliveryId)).attempt, 1);
  });

  it('a delivery not settled within its lease is emitted again (attempt 2), then failed at the attempt limit', async function () {
    // The flow drops every message before the settle node: nothing ever settles.
    const flow = inboxFlow({
      node: { leaseMinutes: 0.005, maxAttempts: 2 },
      wiredTo: ['drop'],
      extra: [
        { id: 'drop', type: 'function', func: 'return null;', outputs: 1, wires: [['done']] },
        { id: 'done', type: 'sales-webhook settle', wires: [[]] },
      ],
    });
    const { url, store } = await start(flow);
    const emissions = collect(helper.getNode('accepted'), 2, 5000);
    const started = Date.now();
    assert.equal((await post(url, saleassistBody('lease@example.com'))).status, 200);
    const [first, second] = await emissions;
    assert.equal(first.webhook.attempt, 1);
    assert.equal(second.webhook.attempt, 2);
    assert.equal(second.webhook.deliveryId, first.webhook.deliveryId);
    assert.equal(second.webhook.replay, false);
    assert.ok(Date.now() - started >= 300, 'not before the lease (0.3 s) ended');
    // The second lease is twice as long; then the limit is reached.
    const record = await waitFor(async () => {
      const r = await store().get(first.webhook.deliveryId);
      return r.state === 'failed' && r;
    });
    assert.match(record.settlements.at(-1).reason, /not settled after 2 attempts/);
  });

  it('after a restart, a delivery emitted but not settled is emitted again once the flows have started', async function () {
    const flow = inboxFlow({
      node: { leaseMinutes: 60 },
      wiredTo: ['drop'],
      extra: [
        { id: 'drop', type: 'function', func: 'return null;', outputs: 1, wires: [['done']] },
        { id: 'done', type: 'sales-webhook settle', wires: [[]] },
      ],
    });
    const { url } = await start(flow);
    const first = collect(helper.getNode('accepted'));
    assert.equal((await post(url, saleassistBody('recover@example.com'))).status, 200);
    const [original] = await first;
    const userDir = running.userDir;
    await running.close();
    running = undefined;
    await helper.unload();
    // Set up the tap before the flows start: recovery emits right after they have.
    const again = new Promise((resolve) => {
      const wait = setInterval(() => {
        const tap = helper.getNode('accepted');
        if (tap) {
          clearInterval(wait);
          collect(tap).then(resolve);
        }
      }, 1);
    });
    await start(flow, { userDir });
    dirs.push(userDir);
    const [recovered] = await again;
    assert.equal(recovered.webhook.deliveryId, original.webhook.deliveryId);
    assert.equal(recovered.webhook.attempt, 2);
    assert.deepEqual(recovered.payload, original.payload);
  });

  it('replay through the inbox registry: the delivery is emitted again at once, flagged as a replay', async function () {
    const { url, store } = await start(inboxFlow());
    const first = collect(helper.getNode('accepted'));
    assert.equal((await post(url, saleassistBody('replay@example.com'))).status, 200);
    const [original] = await first;
    await waitFor(async () => (await store().get(original.webhook.deliveryId)).state === 'handled');
    const replayed = collect(helper.getNode('accepted'));
    assert.equal(await store().requestReplay([original.webhook.deliveryId]), 1);
    inboxConsumer('in').poke();
    const [again] = await replayed;
    assert.equal(again.webhook.deliveryId, original.webhook.deliveryId);
    assert.equal(again.webhook.replay, true);
    assert.equal(again.webhook.attempt, 2);
  });

  it('inbox off: answers at once as before, the delivery is kept in memory only, nothing is written', async function () {
    const { url } = await start(inboxFlow({ node: { inbox: false } }));
    const got = collect(helper.getNode('accepted'));
    assert.equal((await post(url, saleassistBody('off@example.com'))).status, 200);
    const [msg] = await got;
    assert.equal(inboxConsumer('in').store.kind, 'memory');
    await waitFor(async () => (await inboxConsumer('in').store.get(msg.webhook.deliveryId)).state === 'handled');
    assert.ok(!fs.existsSync(path.join(running.userDir, 'sales-webhooks.db')));
  });

  it('retention from settings.js: delivered rows older than retentionDays are purged in the background, at start', async function () {
    const settings = { salesWebhooks: { inbox: { retentionDays: 0.5 / 86400 } } }; // half a second
    const flow = inboxFlow();
    const { url, store } = await start(flow, { settings });
    const got = collect(helper.getNode('accepted'));
    assert.equal((await post(url, saleassistBody('old@example.com'))).status, 200);
    const [msg] = await got;
    await waitFor(async () => (await store().get(msg.webhook.deliveryId)).state === 'handled');
    await settle(600);
    const userDir = running.userDir;
    await running.close();
    running = undefined;
    await helper.unload();
    const restarted = await start(flow, { userDir, settings });
    await waitFor(async () => (await restarted.store().get(msg.webhook.deliveryId)) === undefined, 3000);
  });

  it('a database file that cannot be opened: red status at deploy naming the file, 503 to senders, Node-RED keeps running', async function () {
    const file = path.join(os.tmpdir(), `no-such-dir-${process.pid}`, 'sales-webhooks.db');
    const statuses = [];
    const { url } = await start(inboxFlow(), { settings: { salesWebhooks: { inbox: { file } } } });
    helper.getNode('statuses').on('input', (msg) => statuses.push(msg.status));
    let emitted = 0;
    helper.getNode('accepted').on('input', () => emitted++);
    const res = await post(url, saleassistBody('nowhere@example.com'));
    assert.equal(res.status, 503);
    await waitFor(() => statuses.some((s) => s.fill === 'red'));
    assert.equal(
      statuses.find((s) => s.fill === 'red').text,
      `inbox cannot write: its folder does not exist (${file})`,
    );
    assert.equal(emitted, 0);
  });

  describe('when the disk is full', function () {
    const canMount = process.getuid?.() === 0;
    let mountPoint;
    before(function () {
      // Mounting a small tmpfs needs root; CI runs as root, so there the test must run.
      if (!canMount && !process.env.CI) this.skip();
      mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'inbox-full-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
    });
    after(() => {
      if (!mountPoint) return;
      try {
        execFileSync('umount', ['-l', mountPoint]);
      } catch {
        /* already gone */
      }
      fs.rmSync(mountPoint, { recursive: true, force: true });
    });

    it('answers 503 with Retry-After, turns red saying why, emits nothing, keeps running; once space is back, deliveries flow', async function () {
      const file = path.join(mountPoint, 'sales-webhooks.db');
      const { url } = await start(inboxFlow(), { settings: { salesWebhooks: { inbox: { file } } } });
      const accepted = helper.getNode('accepted');
      const firstOk = collect(accepted);
      assert.equal((await post(url, saleassistBody('before@example.com'))).status, 200);
      await firstOk;
      // Fill the file system to the last byte.
      const filler = path.join(mountPoint, 'filler');
      const fd = fs.openSync(filler, 'w');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(16384));
      } catch (err) {
        assert.equal(err.code, 'ENOSPC');
      }
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(512));
      } catch {
        /* full */
      }
      fs.closeSync(fd);

      let emitted = 0;
      accepted.on('input', () => emitted++);
      const statuses = [];
      helper.getNode('statuses').on('input', (msg) => statuses.push(msg.status));
      const body = saleassistBody('during@example.com');
      const refused = await post(url, body);
      assert.equal(refused.status, 503, refused.body);
      assert.equal(refused.headers['retry-after'], '30');
      assert.ok(!refused.body.includes(mountPoint), 'the sender is not told where the file is');
      await waitFor(() => statuses.some((s) => s.fill === 'red'));
      const red = statuses.find((s) => s.fill === 'red');
      assert.match(red.text, /inbox cannot write: disk full/);
      assert.ok(red.text.includes(file), red.text);
      await settle(200);
      assert.equal(emitted, 0, 'nothing that was not stored is emitted');

      // The platform retries once there is room again.
      fs.rmSync(filler);
      const got = collect(accepted);
      const retried = await post(url, body);
      assert.equal(retried.status, 200, retried.body);
      assert.deepEqual(retried.json, { received: true });
      const [msg] = await got;
      assert.equal(msg.payload.payload.people_detail.email, 'during@example.com');
      await waitFor(() => statuses.at(-1).fill !== 'red', 2000);
    });
  });
});
