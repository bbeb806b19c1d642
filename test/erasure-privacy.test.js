'use strict';
// Erasure finds a person however the sender wrote the address: JSON escapes (jo\u0040corp.com, any character escaped)
// and Unicode case (ÄRGER@firma.de by ärger@firma.de), in every store; and with Redis's append-only file on, the
// erased bytes leave that file too (the erasure asks Redis to rewrite it).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { MemoryInboxStore } = require('../dist/inbox/memory');
const { SqliteInboxStore } = require('../dist/inbox/sqlite');
const { delivery } = require('./support/inbox-deliveries');
const { startRedisServer } = require('./support/redis-server');
const { waitFor } = require('./support/real-node-red');

/** Every character of the address as a JSON \uXXXX escape, in upper- or lower-case hex. */
const escapeAll = (text, upper) =>
  [...text]
    .map((c) => {
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
      return `\\u${upper ? hex.toUpperCase() : hex}`;
    })
    .join('');
/** The body as the sender wrote it (raw JSON text, escapes kept as bytes). */
const bodyWith = (emailJson) =>
  `{"event_type":"widget_new_conversation","payload":{"people_detail":{"email":"${emailJson}"}}}`;

function describeErasure(kind, open, { before: setUp, after: tearDown } = {}) {
  describe(`erasure in the ${kind} store`, function () {
    this.timeout(30000);
    let store;
    before(function () {
      return setUp?.(this);
    });
    after(async () => {
      await store?.close();
      await tearDown?.();
    });

    it('erases an address written with JSON escapes and in another Unicode case, and nobody else', async () => {
      store = await open();
      const kept = [
        bodyWith('bojo@corp.com'), // a longer address is another person
        bodyWith('jo@corp.com.au'),
        bodyWith(`bo${escapeAll('jo@corp.com')}`), // bojo@corp.com, escaped
        bodyWith('ärger@firma.de.example'),
      ];
      const erased = [
        bodyWith('jo\\u0040corp.com'),
        bodyWith(escapeAll('jo@corp.com', true)),
        bodyWith('JO@CORP.COM'),
        bodyWith('ÄRGER@firma.de'),
        bodyWith('\\u00c4rger@FIRMA.de'),
        bodyWith('a\u0308rger@firma.de'), // the same letter decomposed (NFD)
      ];
      for (const body of [...kept, ...erased]) assert.equal((await store.accept(delivery({ body }))).stored, true);
      assert.equal(await store.erase('jo@corp.com'), 3);
      assert.equal(await store.erase('ärger@firma.de'), 3);
      const left = await Promise.all((await store.ids({})).map((id) => store.get(id)));
      assert.deepEqual(left.map((d) => d.body).sort(), [...kept].sort());
    });

    it("reaches a person named only in a lead's CRM requests and answers", async () => {
      // The CRM's answer names another person (escaped), the request a third: each is erased by its own address.
      const call = (request, answer) => ({
        at: Date.now(),
        method: 'POST',
        url: 'https://api.hubapi.com/x',
        request,
        status: 409,
        answer,
      });
      const settleWith = async (calls) => {
        const { id } = await store.accept(delivery());
        await store.settle(id, { state: 'failed', system: 'hubspot', reason: 'conflict', at: Date.now(), calls });
        return id;
      };
      const answered = await settleWith([
        call('{"email":"p@example.com"}', '{"message":"exists: ana\\u0040corp.com"}'),
      ]);
      const requested = await settleWith([call('{"email":"BEN@corp.com"}', '{"message":"conflict"}')]);
      const other = await settleWith([call('{"email":"q@example.com"}', '{"message":"exists: anabel@corp.com"}')]);
      assert.ok((await store.get(answered)).settlements[0].calls[0].answer.includes('ana\\u0040corp.com'));
      assert.equal(await store.erase('ana@corp.com'), 1);
      assert.equal(await store.erase('ben@corp.com'), 1);
      assert.equal(await store.get(answered), undefined);
      assert.equal(await store.get(requested), undefined);
      assert.deepEqual(
        (await store.get(other)).settlements[0].calls[0].answer,
        '{"message":"exists: anabel@corp.com"}',
      );
    });
  });
}

describeErasure('memory', async () => new MemoryInboxStore());

let dir;
describeErasure(
  'SQLite',
  async () => {
    const store = new SqliteInboxStore(path.join(dir, 'sales-webhooks.db'));
    await store.ready();
    return store;
  },
  {
    before: () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erasure-'));
    },
    after: () => fs.rmSync(dir, { recursive: true, force: true }),
  },
);

let server;
describeErasure(
  'Redis',
  async () => {
    const { RedisInboxStore } = require('../dist/inbox/redis');
    const store = new RedisInboxStore({ url: server.url, prefix: 'erasure', consumer: 'a' });
    await store.ready();
    return store;
  },
  {
    before: async (context) => {
      server = await startRedisServer(context);
    },
    after: () => server?.remove(),
  },
);

describe("erasure and Redis's append-only file", function () {
  this.timeout(60000);
  let aofServer;
  let store;
  before(async function () {
    aofServer = await startRedisServer(this, { appendfsync: 'always', appendonly: 'yes' });
  });
  after(async () => {
    await store?.close();
    await aofServer?.remove();
  });

  /** Every byte of the server's append-only files (Redis 7 keeps them in appendonlydir, older ones in one file). */
  const aofBytes = () => {
    const files = [];
    const walk = (p) => {
      if (fs.statSync(p).isDirectory()) for (const f of fs.readdirSync(p)) walk(path.join(p, f));
      else if (/appendonly/.test(p)) files.push(fs.readFileSync(p));
    };
    walk(aofServer.dir);
    return Buffer.concat(files).toString('latin1');
  };

  it('rewrites the file after an erasure, so the address is gone from the disk too', async () => {
    const { RedisInboxStore } = require('../dist/inbox/redis');
    store = new RedisInboxStore({ url: aofServer.url, prefix: 'aof', consumer: 'a' });
    await store.ready();
    await store.accept(delivery({ body: bodyWith('kari.aof@example.com') }));
    await store.accept(delivery({ body: bodyWith('someone.else@example.com') }));
    assert.match(aofBytes(), /kari\.aof@example\.com/, 'the append-only file holds the delivery');
    assert.equal(await store.erase('kari.aof@example.com'), 1);
    await waitFor(() => !/kari\.aof@example\.com/.test(aofBytes()), 20000);
    assert.match(aofBytes(), /someone\.else@example\.com/, 'the rewrite kept everyone else');
  });
});

describe('erasure reaches every store the instance has used (real Node-RED)', function () {
  this.timeout(90000);
  let nodeRed;
  after(() => nodeRed?.remove());

  it('erases from the inbox file Node-RED was set to before, and from a Redis store no node uses any more', async function () {
    const { startNodeRed } = require('./support/real-node-red');
    const { logSettings, logFlow, postLead, deliveryInState } = require('./support/delivery-log');
    const inboxAt = (file) => logSettings({ extra: `salesWebhooks: { inbox: { file: ${JSON.stringify(file)} } },` });
    nodeRed = await startNodeRed({ settings: inboxAt('before.db') });
    await nodeRed.deploy(logFlow(nodeRed.userDir));
    assert.equal((await postLead(nodeRed.url, 'old.file@example.com', 'Old File')).status, 200);
    await deliveryInState(nodeRed.url, 'old.file@example.com', 'handled');
    await nodeRed.stop();
    // The administrator moved the inbox: the old file stays on disk with the person in it.
    const restarted = await startNodeRed({ settings: inboxAt('after.db'), userDir: nodeRed.userDir });
    const erase = await fetch(`${restarted.url}/sales-webhooks/erase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'old.file@example.com' }),
    });
    assert.deepEqual(await erase.json(), { erased: 1 });
    const old = fs.readFileSync(path.join(nodeRed.userDir, 'before.db'));
    assert.equal(old.includes('old.file@example.com'), false, 'gone from the old file');

    // A Redis store: its receiving node moved back to the embedded file, its config node stays (unused).
    const redis = await startRedisServer(this).catch(async (err) => {
      await restarted.stop();
      throw err;
    });
    try {
      const flow = logFlow(restarted.userDir);
      const redisNode = { id: 'redis', type: 'sales-webhook-redis', url: redis.url, prefix: 'reach', tls: false };
      const onRedis = flow.map((n) => (n.id === 'in' ? { ...n, store: 'redis' } : n));
      await restarted.deploy([...onRedis, redisNode]);
      // 503 until the store has connected: a sender retries, so does this test.
      await waitFor(async () => (await postLead(restarted.url, 'in.redis@example.com', 'In Redis')).status === 200);
      await deliveryInState(restarted.url, 'in.redis@example.com', 'handled');
      await restarted.deploy([...flow, redisNode]);
      const { RedisInboxStore } = require('../dist/inbox/redis');
      const check = new RedisInboxStore({ url: redis.url, prefix: 'reach', consumer: 'check' });
      try {
        await check.ready();
        const mentioning = async () =>
          (await Promise.all((await check.ids({})).map((id) => check.get(id)))).filter((d) =>
            JSON.stringify(d).includes('in.redis'),
          ).length;
        assert.ok((await mentioning()) >= 1, 'the Redis store holds the person');
        const fromRedis = await fetch(`${restarted.url}/sales-webhooks/erase`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'in.redis@example.com' }),
        });
        // The delivery, and any 503 refusal logged while the store connected (its body names the person too).
        assert.ok((await fromRedis.json()).erased >= 1);
        assert.equal(await mentioning(), 0, 'nothing of the person is left in Redis');
      } finally {
        await check.close();
      }
    } finally {
      await restarted.stop();
      await redis.remove();
    }
  });
});
