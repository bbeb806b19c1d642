'use strict';
// Several real Node-RED processes (default settings, the package installed) sharing one real redis-server through the
// sales-webhook-redis config node: duplicates across instances, kill -9 of an instance, Redis going away, dead letters.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { startCrmEmulator } = require('./support/crm-emulator');
const { startRedisServer } = require('./support/redis-server');
const { signedLead, postStatus, contactsByEmail, leadsToCrmFlow } = require('./support/leads-load');

const SECRET = 'redis-test-hmac-secret-7c2d';
const PREFIX = 'it';

function sharedFlow(emulator, redisUrl, { leaseMinutes = 0.05, maxAttempts = 5, crmAttempts = 3 } = {}) {
  return leadsToCrmFlow({
    emulator,
    secret: SECRET,
    extraNodes: [{ id: 'redis', type: 'sales-webhook-redis', url: redisUrl, prefix: PREFIX, tls: false }],
    receiver: { inbox: true, store: 'redis', leaseMinutes, maxAttempts },
    account: { maxAttempts: crmAttempts },
  });
}

const delivery = (email, options) => signedLead(email, SECRET, options);

/** Every upsert the CRM got, per e-mail (leads go in batches): more than one means the lead was emitted more than once. */
const createsByEmail = (emulator) => {
  const counts = new Map();
  for (const r of emulator.requests) {
    if (r.method !== 'POST' || !/^\/crm\/objects\/[\d-]+\/contacts\/batch\/upsert$/.test(r.path)) continue;
    for (const input of r.body?.inputs ?? []) counts.set(input.id, (counts.get(input.id) ?? 0) + 1);
  }
  return counts;
};
const is2xx = (code) => code >= 200 && code < 300;

describe('several Node-RED instances sharing one Redis', function () {
  this.timeout(180000);
  let redis;
  let emulator;
  let instances = [];
  let store;

  beforeEach(async function () {
    redis = await startRedisServer(this);
    const { RedisInboxStore } = require('../dist/inbox/redis');
    store = new RedisInboxStore({ url: redis.url, prefix: PREFIX, consumer: 'test-observer' });
    await store.ready();
  });
  afterEach(async () => {
    await Promise.all(
      instances.map(async (nr) => {
        // A kill -9'd instance has exited already (stop() would wait for an exit that came).
        if (nr.process.exitCode === null && !nr.process.signalCode) await nr.remove();
      }),
    );
    instances = [];
    await store?.close();
    await emulator?.close();
    emulator = undefined;
    await redis?.remove();
  });

  async function startInstances(count, flow) {
    instances = await Promise.all(Array.from({ length: count }, () => startNodeRed()));
    await Promise.all(instances.map((nr) => nr.deploy(flow)));
    // Each instance connects and registers as a consumer on its first claim.
    await waitFor(() => instances.every((nr) => /Redis store at redis:\/\/127\.0\.0\.1/.test(nr.logs())), 10000);
    return instances;
  }
  const settledAll = async (emails) => {
    const records = (await store.list({ limit: 5000 })).filter((r) => r.state !== 'rejected');
    const delivered = new Set(
      records.filter((r) => r.state === 'delivered').flatMap((r) => r.leads.map((l) => l.email)),
    );
    return emails.every((e) => delivered.has(e));
  };

  it('settings.js can name one Redis store for the whole runtime: nodes that name none use it', async () => {
    emulator = await startCrmEmulator();
    const nr = await startNodeRed({
      settings: `module.exports = { salesWebhooks: { inbox: { redis: { url: ${JSON.stringify(redis.url)}, prefix: ${JSON.stringify(PREFIX)} } } } };`,
    });
    instances = [nr];
    const flow = sharedFlow(emulator, redis.url)
      .filter((n) => n.type !== 'sales-webhook-redis')
      .map((n) => (n.id === 'in' ? { ...n, store: '' } : n));
    await nr.deploy(flow);
    const d = delivery('runtime-wide@example.com');
    await waitFor(async () => is2xx(await postStatus(`${nr.url}/webhooks/leads`, d)), 10000, 100);
    await waitFor(() => settledAll([d.email]), 15000, 200);
    assert.ok(
      !fs.existsSync(require('node:path').join(nr.userDir, 'sales-webhooks.db')),
      'no embedded file was written',
    );
  });

  it('the same signed delivery posted to two instances at the same moment is emitted once in all', async () => {
    emulator = await startCrmEmulator();
    const [a, b] = await startInstances(3, sharedFlow(emulator, redis.url));
    assert.doesNotMatch(a.logs(), /may lose|cannot promise/, 'this server keeps the promise');
    const batch = Array.from({ length: 12 }, (_, i) => delivery(`twice-${i}@example.com`));
    for (const d of batch) {
      const codes = await Promise.all([
        postStatus(`${a.url}/webhooks/leads`, d),
        postStatus(`${b.url}/webhooks/leads`, d),
      ]);
      assert.deepEqual(codes, [200, 200]);
    }
    await waitFor(() => settledAll(batch.map((d) => d.email)), 20000, 200);
    // Longer than a lease: nothing comes again.
    await new Promise((r) => setTimeout(r, 4000));
    const creates = createsByEmail(emulator);
    for (const d of batch) assert.equal(creates.get(d.email), 1, `${d.email} emitted once`);
    assert.equal((await store.list({ limit: 100 })).length, batch.length, 'stored once each');
  });

  it('kill -9 of one of three instances under load: every acknowledged delivery reaches the CRM exactly once; the others finish its pending entries', async () => {
    emulator = await startCrmEmulator({ latencyMs: 150 });
    await startInstances(3, sharedFlow(emulator, redis.url));
    const victim = instances[2];
    const victimConsumer = `${os.hostname()}-${victim.process.pid}`;
    const genuine = Array.from({ length: 150 }, (_, i) => delivery(`load-${i}@example.com`));
    const status = new Map();
    let acknowledged = 0;
    let pendingAtKill;
    let next = 0;
    const live = new Set(instances);
    // Six senders; a load balancer's behaviour: a failed connection is tried on the next instance.
    await Promise.all(
      Array.from({ length: 6 }, async (_, sender) => {
        let turn = sender;
        while (next < genuine.length) {
          const d = genuine[next++];
          for (let tries = 0; tries < 6; tries++) {
            const target = [...live][turn++ % live.size];
            const code = await postStatus(`${target.url}/webhooks/leads`, d);
            status.set(d.email, code);
            if (code === 0 || code === 503) continue;
            if (is2xx(code) && ++acknowledged === 50 && !pendingAtKill) {
              victim.process.kill('SIGKILL');
              live.delete(victim);
              pendingAtKill = [];
              // What the killed instance held unsettled: delivery numbers of its pending entries.
              const stream = `${PREFIX}:{in}:inbox`;
              for (const [entry] of await store['client'].sendCommand([
                'XPENDING',
                stream,
                'emit',
                '-',
                '+',
                '1000',
                victimConsumer,
              ])) {
                const [[, fields]] = await store['client'].sendCommand(['XRANGE', stream, entry, entry]);
                pendingAtKill.push(`in~${fields[1]}`);
              }
            }
            break;
          }
        }
      }),
    );
    assert.ok(pendingAtKill !== undefined, 'an instance was killed mid-run');
    for (const d of genuine) assert.ok(is2xx(status.get(d.email)), `${d.email}: ${status.get(d.email)}`);
    await waitFor(() => genuine.every((d) => contactsByEmail(emulator).has(d.email)), 60000, 200);
    await waitFor(() => settledAll(genuine.map((d) => d.email)), 60000, 250);
    const counts = contactsByEmail(emulator);
    for (const d of genuine) assert.equal(counts.get(d.email), 1, `${d.email} is one contact`);
    const records = await store.list({ limit: 1000 });
    assert.equal(records.length, genuine.length, 'one delivery per lead');
    // The dead instance's unsettled deliveries were finished by the others, after its lease.
    const consumers = await store['client'].sendCommand(['XINFO', 'CONSUMERS', `${PREFIX}:{in}:inbox`, 'emit']);
    const dead = consumers.find((c) => c[1] === victimConsumer);
    assert.equal(dead ? Number(dead[3]) : 0, 0, 'nothing left pending on the killed instance');
    assert.ok(pendingAtKill.length > 0, 'the killed instance held unsettled deliveries');
    for (const id of pendingAtKill)
      assert.equal(
        (await store.get(id)).state,
        'delivered',
        `${id}, pending on the killed instance, was finished by another`,
      );
  });

  it('kill -9 of an instance with default settings: the other takes its deliveries over within 30 s; a slow live one is left alone', async () => {
    emulator = await startCrmEmulator();
    // Settle within 5 minutes (the default); the CRM hangs, so the deliveries stay unsettled on the instance that took them.
    const flow = sharedFlow(emulator, redis.url, { leaseMinutes: 5, crmAttempts: 1 }).map((n) =>
      n.id === 'acct' ? { ...n, timeout: 120000 } : n,
    );
    const [victim, survivor] = await startInstances(2, flow);
    emulator.fault({ hang: true, forMs: 600000, match: /contacts/ });
    // As many as the account sends at once (its concurrency), so each one's request is under way.
    const batch = Array.from({ length: 4 }, (_, i) => delivery(`takeover-${i}@example.com`));
    for (const d of batch) assert.equal(await postStatus(`${victim.url}/webhooks/leads`, d), 200);
    // Every lead's first CRM request hangs (the account batches them, so one call may carry several), all from the victim.
    const crmRequests = () => emulator.requests.filter((r) => /contacts/.test(r.path));
    const leadsSent = () =>
      crmRequests().flatMap((r) => JSON.stringify(r.body).match(/takeover-\d@example\.com/g) ?? []);
    await waitFor(() => new Set(leadsSent()).size === batch.length, 10000, 100);
    const sentBefore = leadsSent().length;
    // Slow but alive, for longer than an instance counts as dead: nothing is taken over.
    await new Promise((r) => setTimeout(r, 20000));
    assert.equal(leadsSent().length, sentBefore, 'no delivery of the live instance was emitted again');
    victim.process.kill('SIGKILL');
    const killedAt = Date.now();
    emulator.clearFaults();
    await waitFor(() => batch.every((d) => contactsByEmail(emulator).has(d.email)), 40000, 200);
    const tookOver = Date.now() - killedAt;
    assert.ok(tookOver < 30000, `taken over ${Math.round(tookOver / 1000)} s after the kill`);
    await waitFor(() => settledAll(batch.map((d) => d.email)), 10000, 200);
    assert.ok(survivor.logs().length > 0);
  });

  it('Redis stopped mid-run: 503 while it is down, nothing acknowledged lost, the flows resume without a redeploy', async () => {
    emulator = await startCrmEmulator();
    const [a, b] = await startInstances(2, sharedFlow(emulator, redis.url));
    const urls = [a.url, b.url].map((u) => `${u}/webhooks/leads`);
    const acknowledged = [];
    const post = async (d, i) => {
      const code = await postStatus(urls[i % 2], d);
      if (is2xx(code)) acknowledged.push(d.email);
      return code;
    };
    for (let i = 0; i < 20; i++) assert.equal(await post(delivery(`before-${i}@example.com`), i), 200);
    await redis.kill();
    const whileDown = [];
    for (let i = 0; i < 10; i++) whileDown.push(await post(delivery(`down-${i}@example.com`), i));
    assert.deepEqual([...new Set(whileDown)], [503], 'senders are told to retry');
    await waitFor(() => /Redis|redis/.test(JSON.stringify(a.logs().split('\n').slice(-20))), 5000);
    await redis.start();
    // The clients reconnect by themselves, each instance on its own back-off; the same posts succeed again, without a
    // redeploy, once both have.
    for (const [i, url] of urls.entries()) {
      await waitFor(async () => is2xx(await postStatus(url, delivery(`probe-${i}@example.com`))), 20000, 250);
      acknowledged.push(`probe-${i}@example.com`);
    }
    for (let i = 0; i < 10; i++)
      assert.equal(await post(delivery(`down-${i}@example.com`), i + 1), 200, 'the retry of a 503 is accepted');
    for (let i = 0; i < 10; i++) assert.equal(await post(delivery(`after-${i}@example.com`), i), 200);
    await waitFor(() => acknowledged.every((e) => contactsByEmail(emulator).has(e)), 30000, 200);
    await waitFor(() => settledAll(acknowledged), 30000, 250);
    const counts = contactsByEmail(emulator);
    for (const email of acknowledged) assert.equal(counts.get(email), 1, email);
  });

  it('a delivery that fails every attempt lands in the dead-letter stream, is listed in the delivery log and replays from it once the CRM is back', async () => {
    emulator = await startCrmEmulator();
    await startInstances(2, sharedFlow(emulator, redis.url, { crmAttempts: 2 }));
    emulator.fault({ status: 503, forMs: 600000, match: /contacts/ });
    const d = delivery('dead-letter@example.com');
    assert.equal(await postStatus(`${instances[0].url}/webhooks/leads`, d), 200);
    await waitFor(async () => (await store.deadLetters('in')).length === 1, 20000, 200);
    const [dead] = await store.deadLetters('in');
    assert.equal((await store.get(dead.id)).state, 'failed');
    assert.equal(emulator.hubspot.contacts.size, 0);
    emulator.clearFaults();
    const before = createsByEmail(emulator).get(d.email) ?? 0;
    // The other instance's delivery log lists the dead letter as failed and replays it, once for all instances.
    const listed = await (await fetch(`${instances[1].url}/sales-webhooks/deliveries?state=failed`)).json();
    assert.deepEqual(
      listed.deliveries.map((x) => x.id),
      [dead.id],
    );
    const replay = await fetch(`${instances[1].url}/sales-webhooks/deliveries/${encodeURIComponent(dead.id)}/replay`, {
      method: 'POST',
    });
    assert.equal(replay.status, 200, await replay.clone().text());
    assert.deepEqual(await replay.json(), { replayed: 1 });
    // Either instance finds the replay on its next look.
    await waitFor(() => contactsByEmail(emulator).has(d.email), 20000, 200);
    await waitFor(async () => (await store.get(dead.id)).state === 'delivered', 10000, 200);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(createsByEmail(emulator).get(d.email) - before, 1, 'replayed once');
    assert.deepEqual(await store.deadLetters('in'), []);
    const record = await store.get(dead.id);
    assert.equal(record.replay, true);
    assert.ok(
      record.crm.some((c) => c.system === 'hubspot' && c.recordId),
      JSON.stringify(record.crm),
    );
  });
});
