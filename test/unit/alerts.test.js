'use strict';
// The alert node's problem tracking, alone: one open and one resolved per problem, grouping, counting, the clock,
// and the persisted form read back after a restart.
const assert = require('node:assert/strict');
const { ProblemTracker, groupingReason } = require('../../dist/alerts/problems');
const { AlertMonitor } = require('../../dist/alerts/monitor');

function monitorWith(options = {}) {
  const transitions = [];
  let persisted;
  const monitor = new AlertMonitor({
    kinds: ['delivery-failed', 'crm-credentials', 'store-unavailable', 'backlog', 'quiet', 'rejections'],
    inScope: () => true,
    backlogMs: 60_000,
    quietMs: 0,
    rejections: 3,
    rejectionWindowMs: 10_000,
    transition: (t) => transitions.push({ state: t.state, kind: t.problem.kind, count: t.problem.count }),
    changed: (p) => (persisted = p),
    ...options,
  });
  return { monitor, transitions, persisted: () => persisted };
}

describe('alert problems', () => {
  it('opens once per node and reason, counts repeats, resolves on the next success', () => {
    const { monitor, transitions } = monitorWith();
    for (let i = 0; i < 5; i++)
      monitor.delivery('in', `d${i}`, 'failed', 1000 + i, `HubSpot answered 500 for 1234567${i}`);
    monitor.delivery('in', 'x', 'failed', 2000, 'the flow threw');
    assert.deepEqual(
      transitions.map((t) => t.state),
      ['open', 'open'],
      'a new reason is a second problem; varying ids are not',
    );
    assert.equal(monitor.open()[0].count, 5);
    monitor.delivery('other', 'y', 'delivered', 3000);
    assert.equal(transitions.length, 2, "another node's success resolves nothing");
    monitor.delivery('in', 'z', 'handled', 3000);
    assert.deepEqual(
      transitions.slice(2).map((t) => [t.state, t.count]),
      [
        ['resolved', 5],
        ['resolved', 1],
      ],
    );
    assert.equal(monitor.open().length, 0);
  });

  it('keeps no e-mail address in a reason', () => {
    assert.equal(groupingReason('jo@corp.com is invalid'), '… is invalid');
  });

  it('opens rejections at the threshold within the window and resolves when the window is empty', () => {
    const { monitor, transitions } = monitorWith();
    monitor.signal({ type: 'refused', node: 'in', provider: 'hmac' }, 0);
    monitor.signal({ type: 'refused', node: 'in', provider: 'hmac' }, 20_000);
    monitor.signal({ type: 'refused', node: 'in', provider: 'hmac' }, 21_000);
    assert.equal(transitions.length, 0, 'the first fell out of the window');
    monitor.signal({ type: 'refused', node: 'in', provider: 'hmac' }, 22_000);
    monitor.signal({ type: 'refused', node: 'in', provider: 'hmac' }, 23_000);
    assert.deepEqual(transitions, [{ state: 'open', kind: 'rejections', count: 3 }]);
    assert.equal(monitor.open()[0].count, 4);
    monitor.tick(30_000, ['in']);
    assert.equal(transitions.length, 1, 'still refusals within the window');
    monitor.tick(40_000, ['in']);
    assert.equal(transitions[1].state, 'resolved');
  });

  it('watches quiet nodes, the backlog, store health and credentials', () => {
    const { monitor, transitions } = monitorWith({ quietMs: 5000 });
    monitor.tick(0, ['in']);
    monitor.tick(6000, ['in']);
    monitor.tick(7000, ['in']);
    monitor.delivery('in', 'd', 'received', 8000);
    assert.deepEqual(
      transitions.map((t) => `${t.state} ${t.kind}`),
      ['open quiet', 'resolved quiet'],
    );
    monitor.tick(8000 + 61_000, ['in']);
    monitor.delivery('in', 'd', 'delivered', 8000 + 62_000);
    monitor.tick(8000 + 63_000, ['in']);
    monitor.signal({ type: 'store-health', node: 'in', location: '/x', ok: false, reason: 'EACCES' }, 1);
    monitor.signal({ type: 'store-health', node: 'in', location: '/x', ok: false, reason: 'EACCES' }, 2);
    monitor.signal({ type: 'store-health', node: 'in', location: '/x', ok: true }, 3);
    monitor.signal({ type: 'credentials-refused', account: 'acc', reason: 'invalid_grant' }, 4);
    monitor.signal({ type: 'account-started', account: 'acc' }, 5);
    assert.deepEqual(
      transitions.slice(2).map((t) => `${t.state} ${t.kind}`),
      [
        'open quiet', // silent again for 5 s
        'open backlog',
        'resolved backlog',
        'open store-unavailable',
        'resolved store-unavailable',
        'open crm-credentials',
        'resolved crm-credentials',
      ],
    );
  });

  it('hands overdue deliveries to be looked up in their store; one settled without announcement is forgotten', () => {
    const { monitor, transitions } = monitorWith();
    monitor.delivery('in', 'old', 'received', 0);
    monitor.knownUnsettled('in', 'older', -5000);
    monitor.delivery('in', 'new', 'received', 50_000);
    assert.deepEqual(monitor.dueForLookup(70_000, 10), [
      { id: 'older', node: 'in' },
      { id: 'old', node: 'in' },
      { id: 'new', node: 'in' }, // not heard of for 20 s: its attempts may have run out
    ]);
    monitor.lookedUp('older', undefined, 70_000);
    monitor.lookedUp('old', { state: 'handled', leaseUntil: null }, 70_000);
    monitor.lookedUp('new', { state: 'emitted', leaseUntil: 200_000 }, 70_000);
    assert.deepEqual(monitor.dueForLookup(70_000, 10), []);
    monitor.tick(70_000, ['in']);
    assert.deepEqual(transitions, [], 'no backlog from deliveries that settled unannounced');
  });

  it('counts deliveries whose attempts ran out (no announcement) toward delivery-failed, by node and reason, once', async () => {
    const { MemoryInboxStore } = require('../../dist/inbox/memory');
    const { lastFailure } = require('../../dist/alerts/replay');
    let clock = 0;
    const store = new MemoryInboxStore(undefined, () => clock);
    const { monitor, transitions } = monitorWith({ backlogMs: 3600_000 });
    const accept = async (key, at) => {
      clock = at;
      const { id } = await store.accept({
        node: 'in',
        duplicateKey: key,
        duplicateWindowMs: 60_000,
        receivedAt: at,
        rawBody: Buffer.from('{}'),
        meta: { provider: 'hmac', receivedAt: new Date(at).toISOString(), headers: {} },
        issues: [],
        firstEmission: { settles: true, leaseMs: 1000 },
      });
      monitor.delivery('in', id, 'received', at);
      return id;
    };
    const lookUp = async (now) => {
      for (const { id } of monitor.dueForLookup(now, 10)) {
        const record = await store.get(id);
        const found = record && {
          state: record.state,
          leaseUntil: record.leaseUntil,
          reason: lastFailure(record.settlements)?.reason,
        };
        monitor.lookedUp(id, found, now);
      }
    };
    const claim = (now) => store.claimDue({ node: 'in', now, leaseMs: 1000, maxAttempts: 2, limit: 10, settles: true });
    const a = await accept('a', 0);
    const b = await accept('b', 0);
    await claim(1500); // the second emission, lease to 3500
    assert.deepEqual(monitor.dueForLookup(4999, 10), [], 'not heard of for 5 s yet');
    await lookUp(6000);
    assert.deepEqual(transitions, [], 'still in its attempts');
    await claim(6500); // attempts spent: the store marks both failed and tells nobody
    assert.equal((await store.get(a)).state, 'failed');
    assert.deepEqual(monitor.dueForLookup(10_999, 10), [], 'looked up again 5 s after its lease ended, not before');
    await lookUp(11_000);
    assert.deepEqual(transitions, [{ state: 'open', kind: 'delivery-failed', count: 1 }]);
    const [problem] = monitor.open();
    assert.equal(problem.node, 'in');
    assert.equal(problem.reason, 'not settled after 2 attempts');
    assert.equal(problem.count, 2, 'both deliveries counted, one problem');
    // The lifecycle's announcement of a failure already found counts nothing more.
    monitor.delivery('in', b, 'failed', 9001, 'not settled after 2 attempts');
    assert.equal(monitor.open()[0].count, 2);
    // Replayed, then failing again, counts again.
    monitor.delivery('in', b, 'received', 9002);
    monitor.delivery('in', b, 'failed', 9003, 'not settled after 2 attempts');
    assert.equal(monitor.open()[0].count, 3);
  });

  it('reads back what it persisted; a recheck at start resolves what ended meanwhile; unchosen kinds stay silent', () => {
    const first = monitorWith();
    first.monitor.delivery('in', 'd', 'failed', 1, 'CRM down');
    first.monitor.signal({ type: 'store-health', node: 'in', location: '/x', ok: false, reason: 'EROFS' }, 2);
    const saved = JSON.parse(JSON.stringify(first.persisted()));
    const again = monitorWith({ restored: saved });
    assert.deepEqual(
      again.monitor.open().map((p) => p.kind),
      ['delivery-failed', 'store-unavailable'],
    );
    assert.equal(again.transitions.length, 0, 'a restored problem is not announced again');
    again.monitor.recheck((p) => p.kind === 'delivery-failed');
    assert.deepEqual(again.transitions, [{ state: 'resolved', kind: 'store-unavailable', count: 1 }]);
    // Read late (Redis back after the start check): the problems not open live are named for a check of their own.
    const late = monitorWith();
    late.monitor.delivery('in', 'd2', 'failed', 3, 'CRM down');
    assert.deepEqual([...late.monitor.adopt(saved)], [saved.problems[1].key]);
    assert.equal(late.monitor.open().length, 2);
    assert.deepEqual(
      late.monitor.open().find((p) => p.kind === 'delivery-failed').deliveries,
      ['d', 'd2'],
      "the live problem keeps the last run's deliveries too",
    );
    const narrow = monitorWith({ kinds: ['quiet'], restored: saved });
    assert.equal(narrow.monitor.open().length, 0);
    narrow.monitor.delivery('in', 'd', 'failed', 1, 'CRM down');
    assert.equal(narrow.transitions.length, 0);
    assert.equal(ProblemTracker.restore({ problems: [{ kind: 'nonsense', since: 1 }, null] }).list().length, 0);
  });
});

describe('alert problems: replay and storage', () => {
  const { MemoryInboxStore } = require('../../dist/inbox/memory');
  const { deliveriesOfProblem, REPLAYABLE_KINDS } = require('../../dist/alerts/replay');
  const { problemStoreOf } = require('../../dist/alerts/storage');
  const { migrate } = require('../../dist/migrations');

  async function stored(store, node, key, receivedAt) {
    const { id } = await store.accept({
      node,
      duplicateKey: key,
      duplicateWindowMs: 60_000,
      receivedAt,
      rawBody: Buffer.from('{}'),
      meta: { provider: 'hmac', receivedAt: new Date(receivedAt).toISOString(), headers: {} },
      issues: [],
    });
    return id;
  }

  /** A store's settlement, announced as the lifecycle announces it (the state the store answered, this record's reason). */
  async function settleAndAnnounce(store, monitor, id, record) {
    const state = await store.settle(id, record);
    monitor.delivery('in', id, state, record.announcedAt ?? record.at, record.reason);
  }

  it("'Replay these' picks the deliveries the problem counted, of its node and still failed", async () => {
    const store = new MemoryInboxStore();
    const { monitor } = monitorWith();
    const since = 1_000_000;
    const fail = (id, reason, at) => settleAndAnnounce(store, monitor, id, { state: 'failed', reason, at });
    const early = await stored(store, 'in', 'early', since - 60_000); // arrived long before, failed after
    await fail(early, 'HubSpot answered 500 for 1234567', since);
    const same = await stored(store, 'in', 'same', since + 100);
    await fail(same, 'HubSpot answered 500 for 7654321', since + 200);
    const other = await stored(store, 'in', 'other', since + 300);
    await fail(other, 'the flow threw', since + 400); // another reason: another problem
    const fixed = await stored(store, 'in', 'fixed', since + 700);
    await fail(fixed, 'HubSpot answered 500 for 3333333', since + 800);
    await store.requestReplay([fixed]); // replayed meanwhile: no longer failed
    const unrelated = await stored(store, 'in', 'unrelated', since + 900);
    await store.settle(unrelated, { state: 'failed', reason: 'HubSpot answered 500 for 9999999', at: since + 950 });

    const problem = monitor.open().find((p) => p.reason === 'HubSpot answered 500 for …');
    assert.equal(problem.count, 3);
    assert.deepEqual(
      (await deliveriesOfProblem(problem, store)).sort(),
      [early, same].sort(),
      'not one the problem never counted, though it failed for that reason',
    );
    for (const kind of ['backlog', 'quiet', 'rejections', 'crm-credentials', 'store-unavailable'])
      assert.deepEqual(await deliveriesOfProblem({ ...problem, kind }, store), [], kind);
    assert.deepEqual(await deliveriesOfProblem({ ...problem, node: 'in2' }, store), [], "another node's store rows");
    assert.deepEqual(REPLAYABLE_KINDS, ['delivery-failed']);
  });

  it("'Replay these' finds a split delivery whose last part to settle carried no reason", async () => {
    const store = new MemoryInboxStore();
    const { monitor } = monitorWith();
    const split = await stored(store, 'in', 'split', 1000);
    const part = (index) => ({ index, count: 2 });
    await settleAndAnnounce(store, monitor, split, {
      state: 'failed',
      part: part(0),
      reason: 'HubSpot answered 500 for 1234567',
      at: 2000,
    });
    // The other lead reached the CRM last: the delivery is failed, announced with that part's (absent) reason.
    await settleAndAnnounce(store, monitor, split, { state: 'delivered', part: part(1), at: 2001 });
    assert.equal((await store.get(split)).state, 'failed');
    const [problem] = monitor.open();
    assert.equal(problem.kind, 'delivery-failed');
    assert.deepEqual(await deliveriesOfProblem(problem, store), [split]);
  });

  it("'Replay these' finds a failure written long before its announcement opened the problem", async () => {
    const store = new MemoryInboxStore();
    const { monitor } = monitorWith();
    const slow = await stored(store, 'in', 'slow', 1000);
    // Decided at 2 s; the store's write (Redis reconnecting) took 30 s, the announcement came after it.
    await settleAndAnnounce(store, monitor, slow, {
      state: 'failed',
      reason: 'HubSpot answered 500',
      at: 2000,
      announcedAt: 32_000,
    });
    const [problem] = monitor.open();
    assert.equal(problem.since, 32_000);
    assert.deepEqual(await deliveriesOfProblem(problem, store), [slow]);
  });

  it('a problem remembers the latest MAX_PROBLEM_DELIVERIES ids it counted, across a restart', () => {
    const { MAX_PROBLEM_DELIVERIES } = require('../../dist/alerts/problems');
    const { monitor, persisted } = monitorWith();
    for (let i = 0; i <= MAX_PROBLEM_DELIVERIES; i++) monitor.delivery('in', `d${i}`, 'failed', i, 'CRM down');
    monitor.delivery('in', 'd1', 'received', 20_000); // replayed by hand, failing again: the latest
    monitor.delivery('in', 'd1', 'failed', 20_001, 'CRM down');
    const [open] = monitor.open();
    assert.equal(open.count, MAX_PROBLEM_DELIVERIES + 2);
    assert.equal(open.deliveries.length, MAX_PROBLEM_DELIVERIES);
    assert.deepEqual(open.deliveries.slice(0, 2), ['d2', 'd3'], 'the oldest went');
    assert.equal(open.deliveries.at(-1), 'd1');
    const again = monitorWith({ restored: JSON.parse(JSON.stringify(persisted())) });
    assert.deepEqual(again.monitor.open()[0].deliveries, open.deliveries);
    const damaged = { problems: [{ ...open, deliveries: ['d1', 7, null] }] };
    assert.deepEqual(monitorWith({ restored: damaged }).monitor.open()[0].deliveries, ['d1']);
  });

  it('keeps open problems where the watched nodes keep their inbox, unless the dialog chose', () => {
    assert.deepEqual(problemStoreOf('watched', '', [{ store: 'redisA' }, { store: 'redisA', inbox: true }]), {
      kind: 'redis',
      configNode: 'redisA',
    });
    assert.deepEqual(
      problemStoreOf(undefined, undefined, [{ store: 'redisA' }, { store: '', inbox: false }]),
      { kind: 'redis', configNode: 'redisA' },
      'a node without an inbox keeps nothing',
    );
    assert.deepEqual(problemStoreOf('watched', '', [{ store: 'redisA' }, { store: '' }]), { kind: 'default' }, 'a mix');
    assert.deepEqual(problemStoreOf('watched', '', [{ store: 'redisA' }, { store: 'redisB' }]), { kind: 'default' });
    assert.deepEqual(problemStoreOf('watched', '', []), { kind: 'default' });
    assert.deepEqual(problemStoreOf('runtime', '', [{ store: 'redisA' }]), { kind: 'default' });
    assert.deepEqual(problemStoreOf('redis-node', 'redisB', [{ store: 'redisA' }]), {
      kind: 'redis',
      configNode: 'redisB',
    });
    assert.deepEqual(
      problemStoreOf('redis-node', '', [{ store: 'redisA' }]),
      { kind: 'redis', configNode: 'redisA' },
      'no node named: automatic',
    );
  });

  it('sales-webhook alert 1 → 2: "Keep open problems in" arrives as automatic; a missing scope is all nodes', () => {
    const saved = { id: 'a', kinds: ['quiet'], version: 1 };
    assert.deepEqual(migrate('sales-webhook alert', saved), {
      ...saved,
      version: 2,
      scope: 'all',
      keepIn: 'watched',
      problemStore: '',
    });
    assert.equal(migrate('sales-webhook alert', { scope: 'flow', version: 1 }).scope, 'flow');
    const chosen = { id: 'a', version: 2, scope: 'flow', keepIn: 'redis-node', problemStore: 'r' };
    assert.deepEqual(migrate('sales-webhook alert', chosen), chosen);
  });
});
