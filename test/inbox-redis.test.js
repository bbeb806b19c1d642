'use strict';
// The shared inbox on a real redis-server (AOF, fsync always): two store instances stand for two Node-RED instances.
const assert = require('node:assert/strict');
const { startRedisServer } = require('./support/redis-server');
const { delivery } = require('./support/inbox-deliveries');

/** Each test writes under its own key prefix. */
let testNumber = 0;

const claim = (over = {}) => ({
  node: 'n1',
  now: Date.now(),
  leaseMs: 1000,
  maxAttempts: 3,
  limit: 100,
  settles: true,
  ...over,
});

describe('Redis inbox store', function () {
  this.timeout(20000);
  let RedisInboxStore;
  let InboxUnavailableError;
  let server;
  let stores = [];
  let prefix;
  const open = async (over = {}) => {
    const store = new RedisInboxStore({
      url: server.url,
      prefix,
      commandTimeoutMs: 1000,
      connectTimeoutMs: 1000,
      ...over,
    });
    stores.push(store);
    await store.ready();
    return store;
  };

  before(async function () {
    ({ RedisInboxStore } = require('../dist/inbox/redis'));
    ({ InboxUnavailableError } = require('../dist/inbox/types'));
    server = await startRedisServer(this);
  });
  after(async () => {
    await server?.remove();
  });
  beforeEach(() => {
    prefix = `t${++testNumber}`;
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  it('keeps the promise on this server (appendfsync always) and stores the exact bytes', async () => {
    const a = await open({ consumer: 'a' });
    assert.deepEqual(a.durability, { mode: 'fsync-always' });
    const body = '{"a":"é\\u00e9\t"} \u00ff';
    const stored = await a.accept(delivery({ duplicateKey: 'id:evt_1', body }));
    assert.equal(stored.stored, true);
    assert.match(stored.id, /^n1~\d+$/);
    const record = await a.get(stored.id);
    assert.equal(record.body, body);
    assert.equal(record.state, 'received');
    assert.equal(record.meta.provider, 'saleassist');
    // The exact bytes, including a byte sequence that is not UTF-8.
    const raw = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const binary = await a.accept(delivery({ rawBody: raw }));
    await a.close();
    const b = await open({ consumer: 'a' });
    const [due] = (await b.claimDue(claim({ recovering: true }))).filter((d) => d.id === binary.id);
    assert.deepEqual(due.rawBody, raw);
  });

  it('the same delivery accepted by two instances at the same moment is stored once', async () => {
    const a = await open({ consumer: 'a' });
    const b = await open({ consumer: 'b' });
    for (let i = 0; i < 20; i++) {
      const d = delivery({ duplicateKey: `id:same-${i}` });
      const results = await Promise.all([a.accept({ ...d }), b.accept({ ...d }), a.accept({ ...d })]);
      const stored = results.filter((r) => r.stored);
      assert.equal(stored.length, 1, JSON.stringify(results));
      for (const r of results.filter((x) => !x.stored)) assert.equal(r.duplicateOf, stored[0].id);
    }
    // Another node has its own duplicate memory; the claim ends with the window.
    const d = delivery({ duplicateKey: 'id:window', duplicateWindowMs: 150 });
    assert.equal((await a.accept(d)).stored, true);
    assert.equal((await b.accept({ ...d, node: 'n2' })).stored, true);
    assert.equal((await b.accept({ ...d })).stored, false);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await b.accept({ ...d })).stored, true);
  });

  it("nothing is handed to another instance in normal operation; a dead instance's pending entries are taken over after the lease", async () => {
    const a = await open({ consumer: 'a' });
    const b = await open({ consumer: 'b' });
    const emittedByA = await a.accept(delivery());
    await a.markEmitted(emittedByA.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 300 });
    const neverEmitted = await a.accept(delivery());
    const plain = await a.accept(delivery());
    await a.markEmitted(plain.id, { attempt: 1, settles: false });
    assert.equal((await a.get(plain.id)).state, 'delivered');
    assert.deepEqual(await b.claimDue(claim({ leaseMs: 300 })), [], 'within the lease nothing is due');
    await a.close(); // a dies
    await new Promise((r) => setTimeout(r, 350));
    const taken = await b.claimDue(claim({ leaseMs: 300 }));
    assert.deepEqual(
      taken.map((d) => [d.id, d.attempt]).sort(),
      [
        [emittedByA.id, 2],
        [neverEmitted.id, 1],
      ].sort(),
    );
    assert.deepEqual(await b.claimDue(claim({ leaseMs: 300, now: Date.now() })), [], 'claimed once, with a new lease');
    const c = await open({ consumer: 'c' });
    assert.deepEqual(await c.claimDue(claim({ leaseMs: 300 })), [], 'a third instance gets nothing of it');
    assert.equal(
      await b.settle(emittedByA.id, { state: 'delivered', system: 'hubspot', recordId: '9', at: Date.now() }),
      'delivered',
    );
    const record = await b.get(emittedByA.id);
    assert.deepEqual(record.crm, [{ system: 'hubspot', recordId: '9', state: 'delivered' }]);
    assert.equal(record.leaseUntil, null);
  });

  it("a dead instance's deliveries are taken over once its heartbeat stops, whatever their lease; a live one's are not", async () => {
    const options = { deadAfterMs: 400 };
    const a = await open({ consumer: 'a', ...options });
    const b = await open({ consumer: 'b', ...options });
    const c = await open({ consumer: 'c', ...options });
    const held = await a.accept(delivery());
    await a.markEmitted(held.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 600_000 });
    const slow = await c.accept(delivery());
    await c.markEmitted(slow.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 600_000 });
    const lease = { leaseMs: 600_000 };
    assert.deepEqual(await b.claimDue(claim(lease)), [], 'both alive');
    await a.close(); // a dies; c lives on with a slow flow, claiming (its heartbeat) as its node does
    const taken = [];
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      taken.push(...(await c.claimDue(claim(lease))), ...(await b.claimDue(claim(lease))));
    }
    assert.deepEqual(
      taken.map((d) => [d.id, d.attempt]),
      [[held.id, 2]],
      "the dead one's delivery, taken over once; the slow live one's is left to it",
    );
  });

  it('leases back off; past the attempt limit a delivery moves to the dead-letter stream, and replays from there', async () => {
    const a = await open({ consumer: 'a' });
    const d = await a.accept(delivery());
    await a.markEmitted(d.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 100 });
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    await wait(120);
    assert.deepEqual(
      (await a.claimDue(claim({ leaseMs: 100, maxAttempts: 3 }))).map((x) => x.attempt),
      [2],
    );
    // Each re-emission doubles the lease: attempt 2 has 200 ms, attempt 3 400 ms.
    await wait(120);
    assert.deepEqual(await a.claimDue(claim({ leaseMs: 100, maxAttempts: 3 })), [], 'backed off: 200 ms lease');
    await wait(100);
    assert.deepEqual(
      (await a.claimDue(claim({ leaseMs: 100, maxAttempts: 3 }))).map((x) => x.attempt),
      [3],
    );
    await wait(420);
    assert.deepEqual(await a.claimDue(claim({ leaseMs: 100, maxAttempts: 3 })), [], 'failed, not emitted');
    const failed = await a.get(d.id);
    assert.equal(failed.state, 'failed');
    assert.match(failed.settlements.at(-1).reason, /not settled after 3 attempts/);
    assert.deepEqual(
      (await a.deadLetters('n1')).map((x) => x.id),
      [d.id],
    );
    assert.deepEqual(
      (await a.list({ state: 'failed' })).map((x) => x.id),
      [d.id],
    );

    // Replay from another instance: one instance emits it, flagged, in a new round.
    const b = await open({ consumer: 'b' });
    assert.equal(await b.requestReplay([d.id, 'n1~999999', 'nonsense']), 1);
    assert.deepEqual(await a.deadLetters('n1'), []);
    const [first, second] = await Promise.all([
      a.claimDue(claim({ leaseMs: 60_000, maxAttempts: 1 })),
      b.claimDue(claim({ leaseMs: 60_000, maxAttempts: 1 })),
    ]);
    const replayed = [...first, ...second];
    assert.deepEqual(
      replayed.map((x) => [x.id, x.attempt, x.replay]),
      [[d.id, 4, true]],
    );
    assert.equal(
      await a.settle(d.id, { state: 'delivered', system: 'hubspot', recordId: '7', at: Date.now() }),
      'delivered',
    );
    const record = await a.get(d.id);
    assert.deepEqual(record.crm, [{ system: 'hubspot', recordId: '7', state: 'delivered' }]);
    assert.equal(record.replay, true);
  });

  it("a split delivery is settled when all its leads are; recovery hands back this consumer's own unsettled entries", async () => {
    const a = await open({ consumer: 'stable' });
    const split = await a.accept(delivery());
    await a.markEmitted(split.id, {
      attempt: 1,
      settles: true,
      leaseUntil: Date.now() + 60_000,
      leads: [{ email: 'a@example.com' }],
    });
    assert.equal(
      await a.settle(split.id, {
        state: 'delivered',
        part: { index: 1, count: 2 },
        at: Date.now(),
        lead: { email: 'b@example.com' },
      }),
      'emitted',
    );
    await a.close();
    const again = await open({ consumer: 'stable' });
    const other = await open({ consumer: 'other' });
    assert.deepEqual(
      await other.claimDue(claim({ recovering: true })),
      [],
      "another instance's recovery takes nothing live",
    );
    assert.deepEqual(
      (await again.claimDue(claim({ recovering: true }))).map((d) => d.id),
      [split.id],
    );
    assert.equal(
      await again.settle(split.id, {
        state: 'failed',
        part: { index: 0, count: 2 },
        reason: 'CRM said no',
        at: Date.now(),
      }),
      'failed',
    );
    const record = await again.get(split.id);
    assert.deepEqual(record.leads.map((l) => l.email).sort(), ['a@example.com', 'b@example.com']);
    assert.deepEqual(
      await again.deadLetters('n1'),
      [{ id: split.id, reason: 'CRM said no' }],
      'a delivery a CRM gave up on is a dead letter',
    );
  });

  it("recovery with the node's redelivery loop pages through this consumer's pending entries once each", async () => {
    const { Redelivery } = require('../dist/inbox/redelivery');
    const a = await open({ consumer: 'stable' });
    const ids = [];
    for (let i = 0; i < 450; i++) ids.push((await a.accept(delivery())).id);
    await a.close();
    const again = await open({ consumer: 'stable' });
    const emitted = [];
    const loop = new Redelivery({
      store: again,
      node: 'n1',
      leaseMs: 60_000,
      maxAttempts: 5,
      pollMs: 60_000,
      settles: () => true,
      emit: (d) => emitted.push(d.id),
      onError: (err) => {
        throw err;
      },
    });
    await loop.start();
    loop.stop();
    assert.deepEqual(emitted.sort(), ids.sort());
  });

  it('retention removes settled records by age and size and trims the streams, never an unsettled delivery', async () => {
    const a = await open({ consumer: 'a' });
    const old = await a.accept(delivery({ receivedAt: Date.now() - 40 * 86400_000 }));
    await a.settle(old.id, { state: 'delivered', at: Date.now() });
    const oldUnsettled = await a.accept(delivery({ receivedAt: Date.now() - 40 * 86400_000 }));
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 60; i++) {
      const d = await a.accept(delivery({ body: JSON.stringify({ i, big }) }));
      await a.markEmitted(d.id, { attempt: 1, settles: false });
    }
    const before = await a.heldBytes();
    assert.ok(before > 1_200_000, String(before));
    const removed = await a.purge({ maxAgeMs: 30 * 86400_000, maxBytes: 500_000 });
    assert.ok(removed > 30, `removed ${removed}`);
    assert.ok((await a.heldBytes()) <= 500_000);
    assert.equal(await a.get(old.id), undefined);
    assert.equal((await a.get(oldUnsettled.id)).state, 'received');
    const raw = a['client'];
    const length = Number(await raw.sendCommand(['XLEN', `${prefix}:{n1}:inbox`]));
    assert.ok(length >= 1 && length < 62, `stream trimmed to ${length}`);
    // The unsettled delivery's entry survived the trim: another instance still takes it over.
    const b = await open({ consumer: 'b' });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      (await b.claimDue(claim({ leaseMs: 10 }))).map((d) => d.id),
      [oldUnsettled.id],
    );
    // Consumers of instances long gone (nothing pending) leave the group; one with pending entries stays.
    const consumers = async () =>
      (await raw.sendCommand(['XINFO', 'CONSUMERS', `${prefix}:{n1}:inbox`, 'emit'])).map((c) => c[1]).sort();
    await raw.sendCommand(['XGROUP', 'CREATECONSUMER', `${prefix}:{n1}:inbox`, 'emit', 'gone-long-ago']);
    assert.deepEqual(await consumers(), ['a', 'b', 'gone-long-ago']);
    const prune = require('../dist/inbox/redisScripts').PRUNE_CONSUMERS;
    await raw.sendCommand(['EVAL', prune, '1', `${prefix}:{n1}:inbox`, 'a', '0']);
    assert.deepEqual(await consumers(), ['a', 'b'], 'b holds the old delivery now; the empty one went');
  });

  it('says when the server cannot keep the promise (appendfsync everysec, appendonly off, an evicting memory policy)', async function () {
    const lax = await startRedisServer(this, { appendfsync: 'everysec' });
    const memory = await startRedisServer(this, { appendonly: 'no' });
    const evicting = await startRedisServer(this, {
      args: ['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru'],
    });
    try {
      const a = await open({ url: lax.url });
      assert.equal(a.durability.mode, 'none');
      assert.match(a.durability.warning, /only every second.*appendfsync always/);
      const b = await open({ url: memory.url });
      assert.match(b.durability.warning, /memory only.*appendonly yes/);
      const c = await open({ url: evicting.url });
      assert.equal(c.durability.mode, 'fsync-always');
      assert.match(c.durability.warning, /evicts keys.*allkeys-lru.*noeviction/);
    } finally {
      await lax.remove();
      await memory.remove();
      await evicting.remove();
    }
  });

  it('a wrong password or an address where nothing answers is a clear error, without the secret', async function () {
    const locked = await startRedisServer(this, { args: ['--requirepass', 'right-secret'] });
    try {
      await assert.rejects(
        open({ url: locked.url, password: 'wrong-secret-123' }),
        (err) =>
          err instanceof InboxUnavailableError &&
          /refused the user name or password/.test(err.message) &&
          !/secret/.test(err.message),
      );
      const withUrlCredentials = `redis://user:url-secret-456@127.0.0.1:${locked.port}`;
      await assert.rejects(
        open({ url: withUrlCredentials }),
        (err) => !/url-secret-456/.test(err.message) && /127\.0\.0\.1/.test(err.message),
      );
      const ok = await open({ url: locked.url, password: 'right-secret' });
      assert.equal((await ok.accept(delivery())).stored, true);
      await assert.rejects(open({ url: 'redis://127.0.0.1:1' }), /nothing answers at redis:\/\/127\.0\.0\.1:1/);
    } finally {
      await locked.remove();
    }
  });

  it('a server that stops answering (SIGSTOP): 503 within the command timeout, and what it stored meanwhile is not lost', async function () {
    const own = await startRedisServer(this);
    try {
      const a = await open({ url: own.url, consumer: 'a', commandTimeoutMs: 500 });
      const earlier = await a.accept(delivery());
      await a.markEmitted(earlier.id, { attempt: 1, settles: false });
      const d = delivery({ duplicateKey: 'id:hung' });
      process.kill(own.child(), 'SIGSTOP');
      const started = Date.now();
      await assert.rejects(
        a.accept(d),
        (err) => err instanceof InboxUnavailableError && /did not answer in time/.test(err.message),
      );
      assert.ok(Date.now() - started < 1500, `answered after ${Date.now() - started} ms`);
      process.kill(own.child(), 'SIGCONT');
      // The server ran the write once it woke: the sender's retry is a duplicate, and the delivery is not lost.
      const retry = await a.accept({ ...d, receivedAt: Date.now() });
      assert.equal(retry.stored, false);
      const recovered = await a.claimDue(claim({ recovering: true }));
      assert.deepEqual(
        recovered.map((x) => x.id),
        [retry.duplicateOf],
      );
    } finally {
      process.kill(own.child(), 'SIGCONT');
      await own.remove();
    }
  });

  it('Redis stopped mid-run: InboxUnavailableError at once, nothing acknowledged lost, reconnects by itself', async function () {
    const own = await startRedisServer(this);
    try {
      const a = await open({ url: own.url, consumer: 'a' });
      const health = [];
      a.onHealthChange((h) => health.push(h.ok));
      const acknowledged = [];
      for (let i = 0; i < 20; i++) acknowledged.push((await a.accept(delivery())).id);
      await own.kill(); // a crash: only what reached the append-only file survives
      const started = Date.now();
      await assert.rejects(a.accept(delivery()), (err) => err instanceof InboxUnavailableError);
      assert.ok(Date.now() - started < 1500, `answered after ${Date.now() - started} ms`);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(a.health().ok, false);
      assert.match(a.health().reason, /redis:\/\/127\.0\.0\.1:\d+/);
      await own.start();
      const deadline = Date.now() + 8000;
      while (!a.health().ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(a.health().ok, true, 'reconnected without help');
      assert.deepEqual(health.slice(-1), [true]);
      assert.equal((await a.accept(delivery())).stored, true);
      const recovered = await a.claimDue(claim({ recovering: true, limit: 1000 }));
      for (const id of acknowledged)
        assert.ok(
          recovered.some((d) => d.id === id),
          `${id} survived the crash`,
        );
    } finally {
      await own.remove();
    }
  });
});
