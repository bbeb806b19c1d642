'use strict';
// The delivery log's pure rules (filters, merging, permissions, erasure input) and the log across real SQLite stores,
// without Node-RED: consumers are plain objects standing for running sales webhook nodes.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  parseDeliveryFilter,
  mergeNewestFirst,
  hasPermission,
  parseErasureEmail,
  replayFilter,
  DeliveryLogError,
  MAX_REPLAY,
} = require('../dist/log/filter');
const { DeliveryLog } = require('../dist/log/deliveryLog');
const { inboxFile } = require('../dist/inbox/location');
const { SqliteInboxStore } = require('../dist/inbox');

const PROVIDERS = ['saleassist', 'salesmagic', 'callcall'];
const rejects = (fn, status, key) =>
  assert.throws(fn, (err) => err instanceof DeliveryLogError && err.status === status && err.key === key);

describe('delivery log: filter, merge, permissions', function () {
  it('parses the list query into a store filter', function () {
    assert.deepEqual(
      parseDeliveryFilter(
        {
          provider: 'saleassist',
          node: ' n1 ',
          state: 'failed',
          q: ' jane@example.com ',
          from: '2026-12-01T00:00:00Z',
          to: '1796169600000',
          limit: '50',
          _: '123',
        },
        PROVIDERS,
      ),
      {
        provider: 'saleassist',
        node: 'n1',
        state: 'failed',
        q: 'jane@example.com',
        from: Date.parse('2026-12-01T00:00:00Z'),
        to: 1796169600000,
        limit: 50,
      },
    );
    assert.deepEqual(parseDeliveryFilter({ provider: '', state: '', q: '   ' }, PROVIDERS), {});
  });

  it('refuses bad input with a key that says what to fix', function () {
    rejects(() => parseDeliveryFilter({ state: 'done' }, PROVIDERS), 400, 'errors.state');
    rejects(() => parseDeliveryFilter({ provider: 'hubspot' }, PROVIDERS), 400, 'errors.provider');
    for (const limit of ['ten', '0', '1001', '1.5', '-1'])
      rejects(() => parseDeliveryFilter({ limit }, PROVIDERS), 400, 'errors.limit');
    for (const from of ['yesterday', '12/01/2026', '2026-13-45'])
      rejects(() => parseDeliveryFilter({ from }, PROVIDERS), 400, 'errors.time');
    rejects(() => parseDeliveryFilter({ from: '2026-12-02', to: '2026-12-01' }, PROVIDERS), 400, 'errors.range');
    rejects(() => parseDeliveryFilter({ state: ['failed', 'delivered'] }, PROVIDERS), 400, 'errors.once');
    rejects(() => parseDeliveryFilter({ q: { $ne: 1 } }, PROVIDERS), 400, 'errors.once');
    rejects(() => parseDeliveryFilter({ q: 'x'.repeat(201) }, PROVIDERS), 400, 'errors.tooLong');
    const err = (() => {
      try {
        parseDeliveryFilter({ state: 'done' }, PROVIDERS);
      } catch (e) {
        return e;
      }
    })();
    assert.equal(err.params.choices, 'received, emitted, delivered, handled, failed, rejected');
  });

  it('replays failed deliveries unless the filter names a state; never refused requests', function () {
    assert.deepEqual(replayFilter({ provider: 'callcall' }), {
      provider: 'callcall',
      state: 'failed',
      limit: MAX_REPLAY,
    });
    assert.equal(replayFilter({ state: 'delivered' }).state, 'delivered');
    rejects(() => replayFilter({ state: 'rejected' }), 400, 'errors.replayRejected');
  });

  it('checks the address to erase', function () {
    assert.equal(parseErasureEmail({ email: ' Jane.Doe@Example.com ' }), 'Jane.Doe@Example.com');
    for (const body of [undefined, null, {}, { email: '' }, { email: 42 }, []])
      rejects(() => parseErasureEmail(body), 400, 'errors.emailMissing');
    for (const email of ['jane', 'jane@', '@example.com', 'a b@example.com', `${'x'.repeat(250)}@example.com`]) {
      rejects(() => parseErasureEmail({ email }), 400, 'errors.emailInvalid');
    }
  });

  it('merges lists of several stores newest first, ties by the later id', function () {
    const row = (id, receivedAt) => ({ id, receivedAt });
    const a = [row('9', '2026-12-01T10:00:03.000Z'), row('3', '2026-12-01T10:00:01.000Z')];
    const b = [row('10', '2026-12-01T10:00:02.000Z'), row('2', '2026-12-01T10:00:01.000Z')];
    assert.deepEqual(
      mergeNewestFirst([a, b], 3).map((r) => r.id),
      ['9', '10', '3'],
    );
    assert.deepEqual(
      mergeNewestFirst([b, a], 10).map((r) => r.id),
      ['9', '10', '3', '2'],
    );
  });

  it('reads permissions as Node-RED does', function () {
    assert.equal(hasPermission('*', 'sales-webhooks.write'), true);
    assert.equal(hasPermission(['sales-webhooks.read'], 'sales-webhooks.read'), true);
    assert.equal(hasPermission(['sales-webhooks.read'], 'sales-webhooks.write'), false);
    assert.equal(hasPermission('read', 'sales-webhooks.read'), true);
    assert.equal(hasPermission('read', 'sales-webhooks.write'), false);
    assert.equal(hasPermission(['flows.read', 'write'], 'sales-webhooks.write'), true);
    assert.equal(hasPermission([], 'sales-webhooks.read'), false);
    assert.equal(hasPermission(undefined, 'sales-webhooks.read'), false);
  });

  it('finds the inbox file where settings.js says, else sales-webhooks.db in the user directory', function () {
    assert.equal(inboxFile({ userDir: '/data' }), path.resolve('/data/sales-webhooks.db'));
    assert.equal(
      inboxFile({ userDir: '/data', salesWebhooks: { inbox: { file: 'inbox/leads.db' } } }),
      path.resolve('/data/inbox/leads.db'),
    );
    assert.equal(
      inboxFile({ userDir: '/data', salesWebhooks: { inbox: { file: '/var/lib/leads.db' } } }),
      '/var/lib/leads.db',
    );
    assert.equal(
      inboxFile({ userDir: '/data', salesWebhooks: { inbox: { file: '  ' } } }),
      path.resolve('/data/sales-webhooks.db'),
    );
  });
});

describe('delivery log across stores', function () {
  let dir;
  let one;
  let two;
  let consumers;
  let pokes;
  let replayed;
  const meta = (provider) => ({
    provider,
    eventType: 'call.completed',
    eventId: undefined,
    occurredAt: undefined,
    receivedAt: new Date().toISOString(),
    verified: true,
    known: true,
    headers: {},
  });
  let seq = 0;
  const accept = (
    store,
    node,
    { email = `p${++seq}@example.com`, provider = 'salesmagic', receivedAt = Date.now() } = {},
  ) =>
    store
      .accept({
        node,
        duplicateKey: `k${++seq}`,
        duplicateWindowMs: 60_000,
        receivedAt,
        rawBody: Buffer.from(JSON.stringify({ email })),
        meta: meta(provider),
        issues: [],
      })
      .then((r) => r.id);
  const consumer = (nodeId, store) => ({
    nodeId,
    store,
    poke: () => pokes.push(nodeId),
    replayed: (id) => replayed.push([nodeId, id]),
  });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-log-'));
    one = new SqliteInboxStore(path.join(dir, 'one.db'));
    two = new SqliteInboxStore(path.join(dir, 'two.db'));
    pokes = [];
    replayed = [];
    consumers = [consumer('a', one), consumer('b', two)];
  });
  afterEach(async () => {
    await one.close();
    await two.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const logWith = (fallback) => new DeliveryLog({ consumers: () => consumers, defaultStore: () => fallback });

  it('lists every store once, merged newest first', async () => {
    const t = Date.now();
    const a1 = await accept(one, 'a', { receivedAt: t - 3000 });
    const b1 = await accept(two, 'b', { receivedAt: t - 2000 });
    const a2 = await accept(one, 'a', { receivedAt: t - 1000, provider: 'callcall' });
    consumers.push(consumer('a2', one)); // two nodes sharing one store: still listed once
    const log = logWith(one);
    assert.equal(log.stores().length, 2);
    assert.deepEqual(
      (await log.list({})).map((d) => [d.node, d.id]),
      [
        ['a', a2],
        ['b', b1],
        ['a', a1],
      ],
    );
    assert.deepEqual(
      (await log.list({ limit: 2 })).map((d) => d.id),
      [a2, b1],
    );
    assert.deepEqual(
      (await log.list({ provider: 'callcall' })).map((d) => d.id),
      [a2],
    );
  });

  it('opens one delivery; an id present in two stores needs its node', async () => {
    const id = await accept(one, 'a', { email: 'jane@example.com' });
    await accept(two, 'b');
    const log = logWith(undefined);
    await assert.rejects(log.get(id), (e) => e.status === 409 && e.key === 'errors.ambiguous');
    assert.match((await log.get(id, 'a')).body, /jane@example.com/);
    await assert.rejects(log.get('999'), (e) => e.status === 404 && e.key === 'errors.notFound');
  });

  it('replays through the node that owns the delivery; refuses when that node is not deployed', async () => {
    const mine = await accept(one, 'a');
    const orphan = await accept(one, 'gone');
    const log = logWith(undefined);
    assert.deepEqual(await log.replay(mine, 'a'), { replayed: 1, id: mine, node: 'a' });
    assert.deepEqual(replayed, [['a', mine]], 'the owning node announces and emits it');
    assert.equal((await one.get(mine)).state, 'received');
    assert.equal((await one.get(mine)).replay, true);
    await assert.rejects(
      log.replay(orphan, 'gone'),
      (e) => e.status === 409 && e.key === 'errors.notDeployed' && e.params.node === 'gone',
    );
    // A node now using another store cannot replay what its old store holds.
    consumers = [consumer('a', two)];
    await assert.rejects(logWith(one).replay(mine, 'a'), (e) => e.status === 409 && e.key === 'errors.notDeployed');
  });

  it('replays every failed delivery matching the filter, counting first; skips undeployed nodes', async () => {
    const failed = [];
    for (const [store, node] of [
      [one, 'a'],
      [one, 'a'],
      [two, 'b'],
      [one, 'gone'],
    ]) {
      const id = await accept(store, node);
      await store.settle(id, { state: 'failed', reason: 'CRM down', at: Date.now() });
      failed.push(id);
    }
    const delivered = await accept(one, 'a');
    await one.settle(delivered, { state: 'delivered', at: Date.now() });
    const log = logWith(undefined);
    assert.deepEqual(await log.replayMatching({}, true), {
      replayed: 0,
      matching: 4,
      replayable: 3,
      notDeployed: ['gone'],
    });
    assert.deepEqual(pokes, [], 'a dry run changes nothing');
    assert.deepEqual(await log.replayMatching({}, false), {
      replayed: 3,
      matching: 4,
      replayable: 3,
      notDeployed: ['gone'],
    });
    assert.deepEqual(pokes.sort(), ['a', 'b']);
    assert.deepEqual(replayed, [], 'a bulk replay is announced by its count');
    assert.equal((await one.get(delivered)).state, 'delivered');
    assert.deepEqual(
      (await log.list({ state: 'failed' })).map((d) => d.node),
      ['gone'],
    );
    await assert.rejects(
      log.replayMatching({ node: 'gone' }, false),
      (e) => e.status === 409 && e.key === 'errors.noneDeployed',
    );
  });

  it('refuses to replay a refused request', async () => {
    one.logRejected({
      node: 'a',
      provider: 'salesmagic',
      receivedAt: Date.now(),
      statusCode: 401,
      reason: 'bad signature',
      headers: {},
    });
    await accept(one, 'a');
    const [rejected] = await one.list({ state: 'rejected' });
    await assert.rejects(
      logWith(undefined).replay(rejected.id, 'a'),
      (e) => e.status === 409 && e.key === 'errors.replayRejected',
    );
  });

  it('erases an address from every store and says how many', async () => {
    await accept(one, 'a', { email: 'jane@example.com' });
    await accept(two, 'b', { email: 'jane@example.com' });
    const keep = await accept(two, 'b', { email: 'john@example.com' });
    // Other people whose addresses contain hers are not erased.
    const longer = await accept(one, 'a', { email: 'mary.jane@example.com' });
    const abroad = await accept(one, 'a', { email: 'jane@example.com.au' });
    const log = logWith(undefined);
    assert.equal(await log.erase('JANE@example.com'), 2);
    assert.deepEqual((await log.list({})).map((d) => d.id).sort(), [keep, longer, abroad].sort());
    await one.erase('mary.jane@example.com');
    await one.erase('jane@example.com.au');
    // Erased means gone from the files too (no copy left in free pages or the WAL).
    for (const file of fs.readdirSync(dir))
      assert.equal(fs.readFileSync(path.join(dir, file)).includes('jane@example.com'), false, file);
  });

  it('a search of the log never holds up a delivery: the log reads on its own connection', async function () {
    this.timeout(60000);
    const pad = 'x'.repeat(4000);
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          one.accept({
            node: 'a',
            duplicateKey: `bulk${batch}:${i}`,
            duplicateWindowMs: 60_000,
            receivedAt: Date.now(),
            rawBody: Buffer.from(JSON.stringify({ email: `p${batch}.${i}@example.com`, pad })),
            meta: meta('salesmagic'),
            issues: [],
          }),
        ),
      );
    }
    const order = [];
    // Each search reads every body; were reads queued with writes, the delivery would wait for all three.
    const searches = [1, 2, 3].map((n) => one.list({ q: 'nobody@example.com' }).then(() => order.push(`search ${n}`)));
    const delivery = accept(one, 'a').then(() => order.push('delivery stored'));
    await Promise.all([...searches, delivery]);
    assert.notEqual(order.at(-1), 'delivery stored', order.join(', '));
  });

  it('a store that cannot be read is a 503 that names it', async () => {
    await two.close();
    const log = logWith(undefined);
    await assert.rejects(
      log.list({}),
      (e) => e.status === 503 && e.key === 'errors.unavailable' && e.params.location === path.join(dir, 'two.db'),
    );
  });
});

describe('delivery log announcements', function () {
  const { announceDelivery, publishAnnouncementsWith, DELIVERY_LOG_TOPIC } = require('../dist/delivery/announce');
  const recorder = () => {
    const published = [];
    return { published, comms: { publish: (topic, data, retain) => published.push({ topic, data, retain }) } };
  };

  it('batches a few changes as ids and states, a burst as counts, and never carries anything else', async () => {
    const few = recorder();
    publishAnnouncementsWith(few.comms.publish);
    announceDelivery({ id: '1', node: 'n1', state: 'received', email: 'leak@example.com' });
    announceDelivery({ id: '1', node: 'n1', state: 'delivered' });
    assert.equal(few.published.length, 0, 'batched, not published at once');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(few.published, [
      { topic: DELIVERY_LOG_TOPIC, data: { id: '1', node: 'n1', state: 'received' }, retain: false },
      { topic: DELIVERY_LOG_TOPIC, data: { id: '1', node: 'n1', state: 'delivered' }, retain: false },
    ]);
    const burst = recorder();
    publishAnnouncementsWith(burst.comms.publish);
    for (let i = 0; i < 500; i++)
      announceDelivery({ id: String(i), node: 'n1', state: i % 5 ? 'delivered' : 'failed' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(burst.published, [
      { topic: DELIVERY_LOG_TOPIC, data: { count: 500, states: { failed: 100, delivered: 400 } }, retain: false },
    ]);
  });
});
