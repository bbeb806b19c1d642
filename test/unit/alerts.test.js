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

  it('hands overdue deliveries to be checked against their store; one settled without announcement is forgotten', () => {
    const { monitor, transitions } = monitorWith();
    monitor.delivery('in', 'old', 'received', 0);
    monitor.knownUnsettled('in', 'older', -5000);
    monitor.delivery('in', 'new', 'received', 50_000);
    assert.deepEqual(monitor.overdue(70_000, 10), [
      { id: 'older', node: 'in' },
      { id: 'old', node: 'in' },
    ]);
    monitor.forgetDelivery('older');
    monitor.forgetDelivery('old');
    monitor.tick(70_000, ['in']);
    assert.deepEqual(transitions, [], 'no backlog from deliveries that settled unannounced');
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
    const narrow = monitorWith({ kinds: ['quiet'], restored: saved });
    assert.equal(narrow.monitor.open().length, 0);
    narrow.monitor.delivery('in', 'd', 'failed', 1, 'CRM down');
    assert.equal(narrow.transitions.length, 0);
    assert.equal(ProblemTracker.restore({ problems: [{ kind: 'nonsense', since: 1 }, null] }).list().length, 0);
  });
});
