'use strict';
// The embedded inbox (SQLite in a worker thread) on a real file, where it differs from the other stores (the shared
// contract is test/inbox-contract.test.js): group commit, reopening, migrations, sizes, one writer per file.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { SqliteInboxStore, InboxUnavailableError } = require('../dist/inbox');
const { meta, delivery } = require('./support/inbox-deliveries');

describe('SQLite inbox store', function () {
  let dir;
  let store;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inbox-'));
    store = new SqliteInboxStore(path.join(dir, 'sales-webhooks.db'));
    await store.ready();
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores the exact bytes and finds a repeat of the key within the window as a duplicate, across a reopen', async () => {
    const first = delivery({ duplicateKey: 'id:evt_1', body: '{"a":"é\\u00e9\t"} ' });
    const stored = await store.accept(first);
    assert.equal(stored.stored, true);
    assert.deepEqual(await store.accept({ ...first, receivedAt: Date.now() }), {
      stored: false,
      duplicateOf: stored.id,
    });
    await store.close();
    store = new SqliteInboxStore(path.join(dir, 'sales-webhooks.db'));
    assert.deepEqual(await store.accept({ ...first }), { stored: false, duplicateOf: stored.id });
    assert.equal((await store.get(stored.id)).body, '{"a":"é\\u00e9\t"} ');
    // Another node has its own duplicate memory; an expired key is stored again.
    assert.equal((await store.accept({ ...first, node: 'n2' })).stored, true);
    assert.equal((await store.accept({ ...first, receivedAt: Date.now() + 3600_001 })).stored, true);
  });

  it('commits concurrent writes in groups: fewer fsyncs than writes, each answered after its commit', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => store.accept(delivery())));
    assert.equal(results.filter((r) => r.stored).length, 200);
    assert.equal(new Set(results.map((r) => r.id)).size, 200);
    assert.ok(store.stats.commits < store.stats.writes / 5, JSON.stringify(store.stats));
  });

  it('writes made in one turn share a commit, also those that the answers of a commit set off', async () => {
    await store.accept(delivery());
    const before = store.stats.commits;
    // As 20 HTTP connections do: each answer sets off the next write. The first of a turn used to go alone.
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await store.accept(delivery());
        await store.accept(delivery());
      }),
    );
    assert.equal(store.stats.commits - before, 2, JSON.stringify(store.stats));
  });

  it("an accept goes ahead of a large split's settlements queued before it, which still go on", async () => {
    const split = await store.accept(delivery());
    await store.markEmitted(split.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 60_000 });
    const order = [];
    const count = 2000;
    const settlements = Array.from({ length: count }, (_, index) =>
      store
        .settle(split.id, { state: 'delivered', part: { index, count }, at: Date.now() })
        .then(() => order.push('settled')),
    );
    // The first group is in flight before the accept comes.
    await new Promise((resolve) => setImmediate(resolve));
    const other = store.accept(delivery()).then(() => order.push('accepted'));
    await Promise.all([...settlements, other]);
    // The group in flight when it came (at most 200 writes), then the accept's own group: not behind all 2,000.
    assert.ok(order.indexOf('accepted') <= 400, `answered after ${order.indexOf('accepted')} settlements`);
    assert.equal((await store.get(split.id)).state, 'delivered');
  });

  it('a flood of accepts leaves room in every group for the writes waiting behind it', async () => {
    const split = await store.accept(delivery());
    await store.markEmitted(split.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 60_000 });
    const order = [];
    const settled = store
      .settle(split.id, { state: 'delivered', part: { index: 0, count: 1 }, at: Date.now() })
      .then(() => order.push('settled'));
    const accepts = Array.from({ length: 1000 }, () => store.accept(delivery()).then(() => order.push('accepted')));
    await Promise.all([settled, ...accepts]);
    assert.ok(order.indexOf('settled') <= 200, `settled after ${order.indexOf('settled')} accepts`);
  });

  it("a first emission's lease counts from its write: a write that waits past the lease is not claimed before it is emitted", async () => {
    const claim = () =>
      store.claimDue({ node: 'n1', now: Date.now(), leaseMs: 100, maxAttempts: 3, limit: 10, settles: true });
    const accepted = store.accept(delivery({ firstEmission: { settles: true, leaseMs: 100 } }));
    // The group waits past the lease before it leaves (as behind a commit stalled on its fsync); a claim joins it.
    for (const end = Date.now() + 250; Date.now() < end;);
    const claimedMeanwhile = claim();
    const { id } = await accepted;
    assert.deepEqual(await claimedMeanwhile, [], 'a claim would emit it again before its first emission');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(
      (await claim()).map((d) => [d.id, d.attempt]),
      [[id, 2]],
      'its lease ends 100 ms after the write',
    );
  });

  it('notes leads: the first in one update, later ones merged with them (each person once)', async () => {
    const { id } = await store.accept(delivery());
    store.noteLeads(id, [
      { email: 'a@example.com', name: 'A' },
      { email: 'a@example.com', name: 'A' },
    ]);
    store.noteLeads(id, [{ email: 'b@example.com' }, { email: 'a@example.com', name: 'A' }]);
    store.noteLeads('999999', [{ email: 'nobody@example.com' }]);
    await store.accept(delivery());
    assert.deepEqual((await store.get(id)).leads, [{ email: 'a@example.com', name: 'A' }, { email: 'b@example.com' }]);
    assert.equal(await store.get('999999'), undefined);
  });

  it('two copies of one key in the same group: one is stored, the other is its duplicate', async () => {
    const d = delivery({ duplicateKey: 'id:same' });
    const [a, b] = await Promise.all([store.accept(d), store.accept({ ...d })]);
    assert.equal(a.stored, true);
    assert.deepEqual(b, { stored: false, duplicateOf: a.id });
  });

  it('remembers at most duplicateLimit keys per node, the newest, also after a reopen', async () => {
    const limited = (n) => delivery({ duplicateKey: `id:limited-${n}`, duplicateLimit: 3 });
    const first = [1, 2, 3, 4, 5].map(limited);
    for (const d of first) assert.equal((await store.accept(d)).stored, true);
    assert.equal((await store.accept({ ...first[4] })).stored, false, 'the newest is remembered');
    assert.equal((await store.accept({ ...first[2] })).stored, false);
    assert.equal((await store.accept({ ...first[1] })).stored, true, 'beyond the limit, an old key is forgotten');
    await store.close();
    store = new SqliteInboxStore(path.join(dir, 'sales-webhooks.db'));
    // Reopened: the three newest rows' keys (2, 5 and 4) are loaded, not the older ones.
    assert.equal((await store.accept({ ...first[3] })).stored, false);
    assert.equal((await store.accept({ ...first[0] })).stored, true);
  });

  it('holds exactly the newest duplicateLimit keys across many groups, one of them rolled back and retried', async () => {
    const limit = 50;
    const keyed = (n, over = {}) => delivery({ duplicateKey: `id:window-${n}`, duplicateLimit: limit, ...over });
    for (let start = 0; start < 300; start += 20) {
      const group = Array.from({ length: 20 }, (_, i) => keyed(start + i));
      // One group has a write that fails: the group is rolled back and stored again write by write, without it.
      if (start === 140) group[5] = keyed(145, { meta: meta({ provider: undefined }) });
      const results = await Promise.allSettled(group.map((d) => store.accept(d)));
      assert.equal(results.filter((r) => r.status === 'fulfilled' && r.value.stored).length, start === 140 ? 19 : 20);
    }
    assert.equal((await store.accept(keyed(250))).stored, false, 'the 50th newest key is remembered');
    assert.equal((await store.accept(keyed(249))).stored, true, 'the 51st newest is forgotten');
    // 249 joined as the newest, so 251 is now the oldest remembered and 250 was forgotten.
    assert.equal((await store.accept(keyed(251))).stored, false);
    assert.equal((await store.accept(keyed(250))).stored, true);
  });

  it('a write that fails alone is refused; the rest of its group is stored, and its key is not remembered', async () => {
    const good = [delivery(), delivery()];
    const bad = delivery({ meta: meta({ provider: undefined }) });
    // Made in one turn of the event loop, the four writes are one group.
    const first = store.accept(delivery());
    const [a, refused, b] = await Promise.allSettled([store.accept(good[0]), store.accept(bad), store.accept(good[1])]);
    await first;
    assert.equal(a.value.stored, true);
    assert.equal(b.value.stored, true);
    assert.equal(refused.status, 'rejected');
    assert.ok(!(refused.reason instanceof InboxUnavailableError), refused.reason.message);
    assert.match(refused.reason.message, /NOT NULL/);
    assert.deepEqual(store.stats, { commits: 1, writes: 4 }, 'the four were one group');
    assert.equal((await store.accept({ ...good[0] })).stored, false);
    assert.equal((await store.accept({ ...bad, meta: meta() })).stored, true, 'the refused key was not kept');
  });

  it('opens a schema 1 file: its duplicate keys move into the rows and still mark repeats', async () => {
    await store.close();
    const file = path.join(dir, 'v1.db');
    const v1 = new Database(file);
    v1.pragma('journal_mode = WAL');
    v1.exec(`
      CREATE TABLE inbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO inbox_meta VALUES ('schema', '1');
      CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, provider TEXT NOT NULL,
        event_type TEXT, event_id TEXT, received_at INTEGER NOT NULL, state TEXT NOT NULL, status_code INTEGER,
        reason TEXT, attempt INTEGER NOT NULL DEFAULT 0, settles INTEGER NOT NULL DEFAULT 0, lease_until INTEGER,
        due INTEGER NOT NULL DEFAULT 0, replay INTEGER NOT NULL DEFAULT 0, round_start INTEGER NOT NULL DEFAULT 0,
        round_first_attempt INTEGER NOT NULL DEFAULT 1, leads TEXT NOT NULL DEFAULT '[]',
        settlements TEXT NOT NULL DEFAULT '[]');
      CREATE TABLE delivery_content (id INTEGER PRIMARY KEY, headers TEXT NOT NULL, body BLOB NOT NULL,
        body_truncated INTEGER NOT NULL DEFAULT 0, meta TEXT, issues TEXT);
      CREATE TABLE duplicate_keys (node TEXT NOT NULL, key TEXT NOT NULL, expires_at INTEGER NOT NULL,
        delivery_id INTEGER, PRIMARY KEY (node, key)) WITHOUT ROWID;
    `);
    const now = Date.now();
    v1.prepare(
      `INSERT INTO deliveries (id, node, provider, received_at, state) VALUES (7, 'n1', 'saleassist', ?, 'delivered')`,
    ).run(now);
    v1.prepare(
      `INSERT INTO delivery_content (id, headers, body, meta) VALUES (7, '{"x-token":"[redacted]"}', ?, ?)`,
    ).run(Buffer.from('{"v":1}'), JSON.stringify(meta({ headers: { 'x-token': '[redacted]' } })));
    v1.prepare(`INSERT INTO duplicate_keys VALUES ('n1', 'id:old', ?, 7)`).run(now + 3600_000);
    v1.close();
    store = new SqliteInboxStore(file);
    assert.deepEqual(await store.accept(delivery({ duplicateKey: 'id:old' })), { stored: false, duplicateOf: '7' });
    const record = await store.get('7');
    assert.equal(record.body, '{"v":1}');
    assert.deepEqual(record.meta.headers, { 'x-token': '[redacted]' }, 'schema 1 kept the headers in meta');
    assert.equal((await store.accept(delivery())).stored, true);
    await store.close();
    const reopened = new Database(file, { readonly: true });
    assert.equal(reopened.prepare(`SELECT value FROM inbox_meta WHERE key = 'schema'`).pluck().get(), '4');
    assert.equal(reopened.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'duplicate_keys'`).pluck().get(), 0);
    reopened.close();
    store = new SqliteInboxStore(path.join(dir, 'sales-webhooks.db'));
  });

  it('opens a schema 3 file: a split half settled there goes on counting and settles once its last part has', async () => {
    const split = await store.accept(delivery());
    await store.markEmitted(split.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 60_000 });
    const part = (index) => ({ state: 'delivered', part: { index, count: 4 }, at: Date.now() });
    assert.equal(await store.settle(split.id, part(0)), 'emitted');
    await store.close();
    // As schema 3 left it: the counters in the delivery's row (one part of four settled), no split_parts.
    const file = path.join(dir, 'sales-webhooks.db');
    const old = new Database(file);
    old.exec(`DROP TABLE split_parts; UPDATE inbox_meta SET value = '3' WHERE key = 'schema';`);
    old.close();
    store = new SqliteInboxStore(file);
    assert.equal(await store.settle(split.id, part(1)), 'emitted');
    assert.equal(await store.settle(split.id, part(1)), 'emitted', 'a part again is not counted twice');
    assert.equal(await store.settle(split.id, part(2)), 'emitted');
    assert.equal(await store.settle(split.id, part(3)), 'delivered');
    const reopened = new Database(file, { readonly: true });
    assert.equal(reopened.prepare(`SELECT value FROM inbox_meta WHERE key = 'schema'`).pluck().get(), '4');
    reopened.close();
  });

  it('purges settled rows past the age limit, then the oldest while over the size limit; never an unsettled one', async () => {
    const old = await store.accept(delivery({ receivedAt: Date.now() - 40 * 86400_000 }));
    await store.settle(old.id, { state: 'delivered', at: Date.now() });
    const oldUnsettled = await store.accept(delivery({ receivedAt: Date.now() - 40 * 86400_000 }));
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 150; i++) {
      const d = await store.accept(delivery({ body: JSON.stringify({ i, big }) }));
      await store.markEmitted(d.id, { attempt: 1, settles: false });
    }
    const before = await store.sizes();
    assert.ok(before.usedBytes > 2_500_000, JSON.stringify(before));
    const removed = await store.purge({ maxAgeMs: 30 * 86400_000, maxBytes: 1_000_000 });
    assert.ok(removed > 100, `removed ${removed}`);
    const after = await store.sizes();
    assert.ok(after.usedBytes <= 1_000_000, JSON.stringify(after));
    assert.ok(after.fileBytes <= 1_100_000, `the file shrank: ${JSON.stringify(after)}`);
    assert.equal(await store.get(old.id), undefined);
    assert.equal((await store.get(oldUnsettled.id)).state, 'received');
  });

  it('answers InboxUnavailableError while the file cannot be opened, and works once it can', async () => {
    const missing = path.join(dir, 'not-yet', 'inbox.db');
    const unavailable = new SqliteInboxStore(missing);
    await assert.rejects(
      unavailable.accept(delivery()),
      (err) =>
        err instanceof InboxUnavailableError && /directory does not exist|unable to open|CANTOPEN/i.test(err.message),
    );
    fs.mkdirSync(path.dirname(missing));
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await unavailable.accept(delivery())).stored, true);
    await unavailable.close();
  });
});

describe('SQLite inbox file: one process at a time, and the file it was opened on', function () {
  let dir;
  let stores = [];
  const open = (file) => {
    const store = new SqliteInboxStore(file);
    stores.push(store);
    return store;
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inbox-'));
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a second writer on the same file is unhealthy, naming the first, until the first lets go', async () => {
    const file = path.join(dir, 'sales-webhooks.db');
    const first = open(file);
    await first.ready();
    const second = open(file);
    const changes = [];
    second.onHealthChange((health) => changes.push(health));
    await assert.rejects(second.accept(delivery()), (err) => err instanceof InboxUnavailableError);
    const health = second.health();
    assert.equal(health.ok, false);
    assert.match(
      health.reason,
      new RegExp(`in use by another Node-RED \\(pid ${process.pid} on host ${os.hostname()}\\)`),
    );
    assert.ok(health.retryAfterSeconds > 0);
    assert.equal(first.health().ok, true);
    await first.close();
    // The second tries again by itself and takes the file over.
    const deadline = Date.now() + 8000;
    while (!second.health().ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(second.health().ok, true);
    assert.equal(changes.at(-1).ok, true);
    assert.equal((await second.accept(delivery())).stored, true);
  });

  it('a file deleted or replaced under the store: the next group is refused and the store stays unhealthy', async () => {
    const file = path.join(dir, 'sales-webhooks.db');
    const store = open(file);
    assert.equal((await store.accept(delivery())).stored, true);
    fs.rmSync(file);
    await assert.rejects(
      store.accept(delivery()),
      (err) => err instanceof InboxUnavailableError && /deleted or replaced/.test(err.message),
    );
    assert.equal(store.health().ok, false);
    assert.match(store.health().reason, /deleted or replaced while Node-RED was running/);
    await assert.rejects(store.accept(delivery()), InboxUnavailableError, 'and every later one');
  });
});
