'use strict';
// The inbox store contract: what every store (memory, SQLite, Redis) promises the receiving node and the delivery
// log, stated once and run against each (test/inbox-contract.test.js). What only one store does (group commit, file
// locks, streams, durability checks) stays in that store's own test file.
const assert = require('node:assert/strict');
const { meta, delivery } = require('./inbox-deliveries');

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
/** Until the condition holds: a refusal is logged without being awaited. */
async function waitFor(condition) {
  for (let i = 0; i < 200 && !(await condition()); i++) await wait(10);
}
const claim = (over = {}) => ({
  node: 'n1',
  now: Date.now(),
  leaseMs: 60_000,
  maxAttempts: 3,
  limit: 100,
  settles: true,
  ...over,
});

/**
 * `kind`: the store's name in the test titles. `harness`: { before(context) (may skip), after(), open(): a new ready
 * store on fresh storage (closed by the suite) }.
 */
function describeStoreContract(kind, harness) {
  describe(`inbox store contract: ${kind}`, function () {
    this.timeout(20000);
    let stores = [];
    let store;
    before(function () {
      return harness.before?.(this);
    });
    after(() => harness.after?.());
    beforeEach(async () => {
      store = await harness.open();
      stores.push(store);
    });
    afterEach(async () => {
      await Promise.all(stores.map((s) => s.close()));
      stores = [];
    });

    it('is healthy once ready, and says so to a listener without being asked', async () => {
      assert.deepEqual(store.health(), { ok: true });
      const stop = store.onHealthChange(() => undefined);
      assert.equal(typeof stop, 'function');
      stop();
    });

    it('stores the exact bytes; a repeat of the key within the window is a duplicate of the first, per node', async () => {
      const body = '{"a":"é\\u00e9\t"} ';
      const first = delivery({ duplicateKey: 'id:evt_1', body, duplicateWindowMs: 1500 });
      const stored = await store.accept(first);
      assert.equal(stored.stored, true);
      assert.equal(typeof stored.id, 'string');
      const record = await store.get(stored.id);
      assert.equal(record.body, body);
      assert.equal(record.state, 'received');
      assert.equal(record.meta.provider, 'saleassist');
      assert.deepEqual(await store.accept({ ...first, receivedAt: Date.now() }), {
        stored: false,
        duplicateOf: stored.id,
      });
      assert.equal((await store.accept({ ...first, node: 'n2' })).stored, true, 'another node remembers its own');
      await wait(1600);
      assert.equal((await store.accept({ ...first, receivedAt: Date.now() })).stored, true, 'past the window');
    });

    it('two copies of one key at the same moment: one is stored, the other is its duplicate', async () => {
      const d = delivery({ duplicateKey: 'id:same' });
      const results = await Promise.all([store.accept(d), store.accept({ ...d }), store.accept({ ...d })]);
      const stored = results.filter((r) => r.stored);
      assert.equal(stored.length, 1, JSON.stringify(results));
      for (const r of results.filter((x) => !x.stored)) assert.equal(r.duplicateOf, stored[0].id);
    });

    it('without a settling point an emitted delivery is settled; with one it waits for every part of a split', async () => {
      const plain = await store.accept(delivery());
      await store.markEmitted(plain.id, { attempt: 1, settles: false });
      assert.ok(['delivered', 'handled'].includes((await store.get(plain.id)).state));

      const split = await store.accept(delivery());
      await store.markEmitted(split.id, {
        attempt: 1,
        settles: true,
        leaseUntil: Date.now() + 60_000,
        leads: [{ email: 'a@example.com' }],
      });
      assert.equal((await store.get(split.id)).state, 'emitted');
      const part = (index, state, over = {}) => ({ state, part: { index, count: 3 }, at: Date.now(), ...over });
      const b = { email: 'b@example.com' };
      assert.equal(
        await store.settle(split.id, part(2, 'delivered', { system: 'hubspot', recordId: '42', lead: b })),
        'emitted',
      );
      assert.equal(await store.settle(split.id, part(0, 'failed', { reason: 'CRM said no' })), 'emitted');
      assert.equal(await store.settle(split.id, part(0, 'delivered', { recordId: '43' })), 'emitted', 'a part again');
      assert.equal(await store.settle(split.id, part(1, 'delivered', { recordId: '44' })), 'delivered');
      const record = await store.get(split.id);
      assert.equal(record.state, 'delivered', 'the latest answer of each part counts');
      assert.deepEqual(record.leads.map((l) => l.email).sort(), ['a@example.com', 'b@example.com']);
      assert.deepEqual(
        record.crm.map((c) => c.recordId ?? c.state),
        ['42', 'failed', '43', '44'],
      );
      assert.equal(record.settlements.length, 4);
      assert.equal(record.leaseUntil, null);

      const failing = await store.accept(delivery());
      await store.markEmitted(failing.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 60_000 });
      assert.equal(await store.settle(failing.id, part(1, 'delivered', { part: { index: 1, count: 2 } })), 'emitted');
      assert.equal(await store.settle(failing.id, part(0, 'failed', { part: { index: 0, count: 2 } })), 'failed');
      assert.equal(await store.settle('999999', { state: 'delivered', at: Date.now() }), undefined, 'unknown id');
    });

    it('recovery claims every unsettled delivery once; a lease hands it back with back-off until the attempt limit', async () => {
      const received = await store.accept(delivery());
      const emitted = await store.accept(delivery());
      await store.markEmitted(emitted.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 60_000 });
      const done = await store.accept(delivery());
      await store.markEmitted(done.id, { attempt: 1, settles: false });
      const recovered = await store.claimDue(claim({ recovering: true, leaseMs: 150 }));
      assert.deepEqual(
        recovered.map((d) => [d.id, d.attempt]).sort(),
        [
          [received.id, 1],
          [emitted.id, 2],
        ].sort(),
      );
      const [first] = recovered.filter((d) => d.id === received.id);
      assert.ok(Buffer.isBuffer(first.rawBody));
      assert.equal(first.meta.provider, 'saleassist');
      assert.equal(first.replay, false);
      assert.deepEqual(await store.claimDue(claim({ leaseMs: 150 })), [], 'within the lease nothing is due');

      // received.id: attempt 1 had a 150 ms lease, attempt 2 has 300 ms, attempt 3 is the last.
      await wait(200);
      assert.deepEqual(
        (await store.claimDue(claim({ leaseMs: 150, now: Date.now() }))).find((d) => d.id === received.id)?.attempt,
        2,
      );
      await wait(150);
      assert.equal(
        (await store.claimDue(claim({ leaseMs: 150, now: Date.now() }))).some((d) => d.id === received.id),
        false,
        'backed off: a 300 ms lease',
      );
      await wait(200);
      await store.claimDue(claim({ leaseMs: 150, now: Date.now() }));
      await wait(700);
      assert.deepEqual(
        (await store.claimDue(claim({ leaseMs: 150, now: Date.now() }))).filter((d) => d.id === received.id),
        [],
        'past the attempt limit: failed, not emitted',
      );
      const failed = await store.get(received.id);
      assert.equal(failed.state, 'failed');
      assert.match(failed.settlements.at(-1).reason, /not settled after 3 attempts/);
    });

    it('a delivery accepted with its first emission needs no second write: leased, recovered and settled alike', async () => {
      // Redis measures a lease on its own clock: long enough that a loaded machine does not end it before the check.
      const lease = 1500;
      const leased = await store.accept(delivery({ firstEmission: { settles: true, leaseMs: lease } }));
      const plain = await store.accept(delivery({ firstEmission: { settles: false } }));
      const record = await store.get(leased.id);
      assert.deepEqual([record.state, record.attempt], ['emitted', 1]);
      assert.equal((await store.get(plain.id)).state, 'emitted', 'not settled until its flow says so');
      assert.deepEqual(await store.claimDue(claim({ leaseMs: lease })), [], 'within the lease');
      await wait(lease + 100);
      assert.deepEqual(
        (await store.claimDue(claim({ leaseMs: lease, now: Date.now() }))).map((d) => [d.id, d.attempt]),
        [[leased.id, 2]],
        'the lease ended: emitted again; the one without a settling point waits for recovery',
      );
      assert.deepEqual(
        (await store.claimDue(claim({ recovering: true }))).map((d) => [d.id, d.attempt]).sort(),
        [
          [leased.id, 3],
          [plain.id, 2],
        ].sort(),
      );
      assert.equal(await store.settle(plain.id, { state: 'handled', at: Date.now() }), 'handled');
    });

    it('a whole delivery answered again in its round: the latest answer counts, every answer is kept', async () => {
      const d = await store.accept(delivery());
      await store.markEmitted(d.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 60_000 });
      assert.equal(await store.settle(d.id, { state: 'failed', reason: 'CRM down', at: Date.now() }), 'failed');
      assert.equal((await store.get(d.id)).leaseUntil, null);
      assert.equal(await store.settle(d.id, { state: 'delivered', recordId: '8', at: Date.now() }), 'delivered');
      const record = await store.get(d.id);
      assert.equal(record.state, 'delivered');
      assert.deepEqual(
        record.settlements.map((s) => s.state),
        ['failed', 'delivered'],
      );
      const handled = await store.accept(delivery());
      await store.markEmitted(handled.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 60_000 });
      assert.equal(await store.settle(handled.id, { state: 'handled', at: Date.now() }), 'handled');
      assert.equal((await store.get(handled.id)).state, 'handled');
    });

    it('a replay is due at once, flagged, and starts a new round of settlements and attempts', async () => {
      const d = await store.accept(delivery());
      await store.markEmitted(d.id, { attempt: 1, settles: true, leaseUntil: Date.now() + 60_000 });
      await store.settle(d.id, { state: 'failed', reason: 'CRM down', part: { index: 0, count: 2 }, at: Date.now() });
      await store.settle(d.id, { state: 'delivered', part: { index: 1, count: 2 }, at: Date.now() });
      assert.equal((await store.get(d.id)).state, 'failed');
      assert.equal(await store.requestReplay([d.id]), 1);
      assert.equal((await store.get(d.id)).state, 'received');
      const [due] = await store.claimDue(claim({ maxAttempts: 1 }));
      assert.deepEqual([due.id, due.attempt, due.replay], [d.id, 2, true]);
      assert.equal(
        await store.settle(d.id, { state: 'delivered', system: 'hubspot', recordId: '7', at: Date.now() }),
        'delivered',
        'the new round counts its own parts',
      );
      const record = await store.get(d.id);
      assert.deepEqual(record.crm, [{ system: 'hubspot', recordId: '7', state: 'delivered' }]);
      assert.equal(record.settlements.length, 3);
      assert.equal(record.replay, true);
    });

    it('logs refused requests with their reason and body prefix; they are never due and never replayed', async () => {
      store.logRejected({
        node: 'n1',
        provider: 'salesmagic',
        receivedAt: Date.now(),
        statusCode: 401,
        reason: 'no signature matched',
        headers: { 'svix-signature': '[redacted]' },
        bodyPrefix: Buffer.from('{"x":'),
        bodyTruncated: true,
      });
      const d = await store.accept(delivery());
      let rejected;
      for (let i = 0; i < 50 && !rejected; i++) {
        [rejected] = await store.list({ state: 'rejected' });
        if (!rejected) await wait(20);
      }
      assert.equal(rejected.statusCode, 401);
      assert.equal(rejected.reason, 'no signature matched');
      const full = await store.get(rejected.id);
      assert.equal(full.body, '{"x":');
      assert.equal(full.bodyTruncated, true);
      assert.deepEqual(full.headers, { 'svix-signature': '[redacted]' });
      assert.equal(await store.requestReplay([rejected.id]), 0);
      assert.equal(await store.settle(rejected.id, { state: 'delivered', at: Date.now() }), undefined);
      assert.deepEqual(
        (await store.claimDue(claim({ recovering: true }))).map((x) => x.id),
        [d.id],
      );
    });

    it('refused requests are held to their own bound at every refusal, the oldest going first', async () => {
      // The bound from settings.js reaches the store with its first purge.
      await store.purge({
        maxAgeMs: 30 * 86400_000,
        maxBytes: 1024 ** 3,
        refused: { maxCount: 3, maxBytes: 1024 ** 2 },
      });
      const kept = await store.accept(delivery());
      await store.settle(kept.id, { state: 'failed', reason: 'CRM said no', at: Date.now() });
      for (let i = 0; i < 10; i++) {
        store.logRejected({
          node: 'n1',
          provider: 'hmac',
          receivedAt: Date.now(),
          statusCode: 401,
          reason: `forged ${i}`,
          headers: {},
          bodyPrefix: Buffer.from('{}'),
        });
        await wait(5);
      }
      let refused = [];
      for (let i = 0; i < 50 && !refused.some((r) => r.reason === 'forged 9'); i++) {
        refused = await store.list({ state: 'rejected' });
        await wait(20);
      }
      assert.deepEqual(
        refused.map((r) => r.reason),
        ['forged 9', 'forged 8', 'forged 7'],
      );
      assert.equal((await store.get(kept.id)).state, 'failed', 'a failed delivery is not pushed out');
    });

    it('lists, filters and searches newest first; ids oldest first; erases everything about one address', async () => {
      const a = await store.accept(
        delivery({ body: '{"email":"Jane.Doe@Example.com"}', meta: meta({ provider: 'callcall', eventId: 'evt_77' }) }),
      );
      await wait(5);
      const b = await store.accept(delivery({ node: 'n2', body: '{"email":"other@example.com","note":"100%_sure"}' }));
      await wait(5);
      const c = await store.accept(delivery({ body: '{"email":"bojane.doe@example.com"}' }));
      await wait(5);
      store.logRejected({
        node: 'n1',
        provider: 'callcall',
        receivedAt: Date.now(),
        statusCode: 401,
        reason: 'bad',
        headers: {},
        bodyPrefix: Buffer.from('{"email":"jane.doe@example.com"'),
      });
      await store.settle(b.id, { state: 'delivered', at: Date.now(), lead: { email: 'lead@example.com' } });
      await wait(50);
      assert.deepEqual(
        (await store.list({})).map((d) => d.state),
        ['rejected', 'received', 'delivered', 'received'],
      );
      assert.equal((await store.list({ q: 'JANE.DOE@example.COM' })).length, 3);
      assert.deepEqual(
        (await store.list({ q: 'evt_77' })).map((d) => d.id),
        [a.id],
      );
      assert.deepEqual(
        (await store.list({ q: '100%_' })).map((d) => d.id),
        [b.id],
      );
      assert.deepEqual(
        (await store.list({ q: 'lead@example.com' })).map((d) => d.id),
        [b.id],
        'a lead a settling point reported is found',
      );
      assert.deepEqual(
        (await store.list({ provider: 'callcall', state: 'received' })).map((d) => d.id),
        [a.id],
      );
      assert.deepEqual(await store.ids({ node: 'n2', state: 'delivered' }), [b.id]);
      assert.deepEqual(await store.ids({ state: 'received' }), [a.id, c.id]);
      assert.equal((await store.list({ limit: 1 })).length, 1);
      assert.equal(await store.erase('jane.doe@example.com'), 2, 'not bojane.doe@example.com');
      assert.deepEqual(
        (await store.list({})).map((d) => d.id),
        [c.id, b.id],
      );
      assert.equal(await store.get(a.id), undefined);
      assert.deepEqual(
        (await store.claimDue(claim({ recovering: true }))).map((d) => d.id),
        [c.id],
        'an erased delivery is never emitted',
      );
    });

    it('counts deliveries by state in time buckets, filtered like the list, leaving out what is outside them', async () => {
      const hour = 3600_000;
      const from = Date.now() - 3 * hour;
      const at = (h) => from + h * hour + 1000;
      const delivered = await store.accept(delivery({ receivedAt: at(0), duplicateKey: 'id:s1' }));
      await store.settle(delivered.id, { state: 'delivered', at: Date.now() });
      const failed = await store.accept(delivery({ receivedAt: at(2), duplicateKey: 'id:s2' }));
      await store.settle(failed.id, { state: 'failed', at: Date.now(), reason: 'CRM down' });
      await store.accept(delivery({ receivedAt: at(2), duplicateKey: 'id:s3' }));
      await store.accept(delivery({ node: 'n2', receivedAt: at(1), duplicateKey: 'id:s4' }));
      await store.accept(delivery({ receivedAt: from - hour, duplicateKey: 'id:before' }));
      store.logRejected({
        node: 'n1',
        provider: 'callcall',
        receivedAt: at(2),
        statusCode: 401,
        reason: 'bad',
        headers: {},
      });
      await waitFor(async () => (await store.list({ state: 'rejected' })).length === 1);
      const buckets = { from, bucketMs: hour, count: 3 };
      const all = await store.deliveryStats({}, buckets);
      assert.deepEqual(all, {
        from,
        bucketMs: hour,
        totals: { delivered: 1, failed: 1, received: 2, rejected: 1 },
        buckets: [{ delivered: 1 }, { received: 1 }, { failed: 1, received: 1, rejected: 1 }],
      });
      assert.deepEqual((await store.deliveryStats({ node: 'n1', provider: 'callcall' }, buckets)).totals, {
        rejected: 1,
      });
      assert.deepEqual((await store.deliveryStats({ node: 'n2' }, buckets)).buckets, [{}, { received: 1 }, {}]);
    });

    it('purges settled deliveries past their age; never an unsettled one, however old', async () => {
      const old = Date.now() - 40 * 86400_000;
      const settled = await store.accept(delivery({ receivedAt: old }));
      await store.settle(settled.id, { state: 'delivered', at: Date.now() });
      const unsettled = await store.accept(delivery({ receivedAt: old }));
      const fresh = await store.accept(delivery());
      await store.settle(fresh.id, { state: 'delivered', at: Date.now() });
      assert.ok((await store.purge({ maxAgeMs: 30 * 86400_000, maxBytes: 1024 ** 3 })) >= 1);
      assert.equal(await store.get(settled.id), undefined);
      assert.equal((await store.get(unsettled.id)).state, 'received');
      assert.equal((await store.get(fresh.id)).state, 'delivered');
      await store.purge({ maxAgeMs: 30 * 86400_000, maxBytes: 1 });
      assert.equal((await store.get(unsettled.id)).state, 'received', 'not even over the size limit');
    });
  });
}

module.exports = { describeStoreContract };
