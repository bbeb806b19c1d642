'use strict';
// Pure inbox modules: where a flow settles its deliveries, the inbox's settings, and problems in plain words.
const assert = require('node:assert/strict');
const os = require('node:os');
const path = require('node:path');
const { hasSettlingPointDownstream } = require('../dist/flowGraph');
const { resolveInboxSettings, describeInboxProblem } = require('../dist/inbox/settings');
const { Redelivery } = require('../dist/inbox/redelivery');

const graph = (...nodes) => new Map(nodes.map((n) => [n.id, n]));

describe('settling points downstream of a sales webhook', function () {
  it('finds sales-crm out or sales-webhook settle through ordinary nodes, on the chosen output only', function () {
    const nodes = graph(
      { id: 'in', type: 'sales-webhook in', wires: [['map'], ['log']] },
      { id: 'map', type: 'sales-lead-map', wires: [['switch'], []] },
      { id: 'switch', type: 'switch', wires: [['crm'], []] },
      { id: 'crm', type: 'sales-crm out', wires: [[], []] },
      { id: 'log', type: 'debug', wires: [] },
    );
    assert.equal(hasSettlingPointDownstream('in', nodes), true);
    assert.equal(hasSettlingPointDownstream('in', nodes, 0), true);
    assert.equal(hasSettlingPointDownstream('in', nodes, 1), false);
  });

  it('none: a plain flow, a disabled settle node, an unknown node id', function () {
    assert.equal(
      hasSettlingPointDownstream(
        'in',
        graph({ id: 'in', type: 'sales-webhook in', wires: [['dbg']] }, { id: 'dbg', type: 'debug', wires: [] }),
      ),
      false,
    );
    assert.equal(
      hasSettlingPointDownstream(
        'in',
        graph(
          { id: 'in', type: 'sales-webhook in', wires: [['s']] },
          { id: 's', type: 'sales-webhook settle', d: true, wires: [[]] },
        ),
      ),
      false,
    );
    assert.equal(hasSettlingPointDownstream('gone', graph()), false);
  });

  it('follows link out → link in (another tab), link call → its target, and loops end', function () {
    const viaLink = graph(
      { id: 'in', type: 'sales-webhook in', wires: [['out']] },
      { id: 'out', type: 'link out', mode: 'link', links: ['linkin'] },
      { id: 'linkin', type: 'link in', wires: [['loop']] },
      { id: 'loop', type: 'function', wires: [['linkin', 'settle']] },
      { id: 'settle', type: 'sales-webhook settle', wires: [[]] },
    );
    assert.equal(hasSettlingPointDownstream('in', viaLink), true);
    const viaCall = graph(
      { id: 'in', type: 'sales-webhook in', wires: [['call']] },
      { id: 'call', type: 'link call', links: ['target'], wires: [[]] },
      { id: 'target', type: 'link in', wires: [['crm']] },
      { id: 'crm', type: 'sales-crm out', wires: [[], []] },
    );
    assert.equal(hasSettlingPointDownstream('in', viaCall), true);
    const returnOnly = graph(
      { id: 'in', type: 'sales-webhook in', wires: [['back']] },
      { id: 'back', type: 'link out', mode: 'return', links: ['elsewhere'] },
      { id: 'elsewhere', type: 'link in', wires: [['crm']] },
      { id: 'crm', type: 'sales-crm out', wires: [[], []] },
    );
    assert.equal(
      hasSettlingPointDownstream('in', returnOnly),
      false,
      'a return link goes back to its caller, not to its links',
    );
  });

  it('walks into a subflow from its instance', function () {
    const nodes = graph(
      { id: 'in', type: 'sales-webhook in', wires: [['inst']] },
      { id: 'inst', type: 'subflow:sf', wires: [[]] },
      { id: 'sf', type: 'subflow', in: [{ wires: [{ id: 'inner' }] }] },
      { id: 'inner', type: 'sales-webhook settle', z: 'sf', wires: [[]] },
    );
    assert.equal(hasSettlingPointDownstream('in', nodes), true);
  });
});

describe('inbox settings', function () {
  it('defaults: sales-webhooks.db in the user directory, 30 days, 1024 MB, 10,000 refusals in 32 MB', function () {
    const s = resolveInboxSettings(undefined, '/srv/nr');
    assert.equal(s.file, path.join('/srv/nr', 'sales-webhooks.db'));
    assert.deepEqual(s.retention, {
      maxAgeMs: 30 * 24 * 3600 * 1000,
      maxBytes: 1024 * 1024 * 1024,
      refused: { maxCount: 10000, maxBytes: 32 * 1024 * 1024 },
    });
    assert.deepEqual(s.warnings, []);
    assert.equal(resolveInboxSettings({}, undefined).file, path.join(os.homedir(), '.node-red', 'sales-webhooks.db'));
  });

  it('settings.js: a relative file is under the user directory; bad values fall back with a warning that names them', function () {
    const s = resolveInboxSettings(
      { inbox: { file: 'data/inbox.db', retentionDays: 7, retentionMB: 50, refusedMax: 500, refusedMB: 2 } },
      '/srv/nr',
    );
    assert.equal(s.file, '/srv/nr/data/inbox.db');
    assert.deepEqual(s.retention, {
      maxAgeMs: 7 * 24 * 3600 * 1000,
      maxBytes: 50 * 1024 * 1024,
      refused: { maxCount: 500, maxBytes: 2 * 1024 * 1024 },
    });
    assert.equal(resolveInboxSettings({ inbox: { file: '/var/lib/inbox.db' } }, '/srv/nr').file, '/var/lib/inbox.db');
    const bad = resolveInboxSettings(
      { inbox: { file: 3, retentionDays: -1, retentionMB: 'lots', refusedMax: 0 } },
      '/srv/nr',
    );
    assert.equal(bad.file, '/srv/nr/sales-webhooks.db');
    assert.equal(bad.retention.maxAgeMs, 30 * 24 * 3600 * 1000);
    assert.equal(bad.retention.refused.maxCount, 10000);
    assert.equal(bad.warnings.length, 4);
    assert.match(bad.warnings.join('\n'), /salesWebhooks\.inbox\.refusedMax/);
    assert.match(bad.warnings.join('\n'), /salesWebhooks\.inbox\.retentionDays/);
  });

  it('says why the inbox cannot write in words a user can act on', function () {
    assert.equal(describeInboxProblem('SQLITE_FULL: database or disk is full'), 'disk full');
    assert.equal(
      describeInboxProblem('SQLITE_READONLY: attempt to write a readonly database'),
      'the file is read-only',
    );
    assert.equal(describeInboxProblem('SQLITE_BUSY: database is locked'), 'the file is locked by another program');
    assert.equal(
      describeInboxProblem('SQLITE_CANTOPEN: unable to open database file'),
      'the file cannot be opened (does its folder exist?)',
    );
    assert.equal(
      describeInboxProblem('Cannot open database because the directory does not exist'),
      'its folder does not exist',
    );
    assert.equal(
      describeInboxProblem('SQLITE_NOTADB: file is not a database'),
      'the file is damaged or not an inbox database',
    );
  });
});

describe('redelivery loop', function () {
  const due = (id) => ({
    id: String(id),
    node: 'n',
    rawBody: Buffer.from('{}'),
    meta: {},
    issues: [],
    attempt: 2,
    replay: false,
  });
  const loop = (claimDue, emitted) =>
    new Redelivery({
      store: { claimDue },
      node: 'n',
      leaseMs: 1000,
      maxAttempts: 3,
      pollMs: 60000,
      settles: () => true,
      emit: (d) => emitted.push(d.id),
      onError: (err) => {
        throw err;
      },
    });

  it('recovery pages through every unsettled delivery by id, each emitted once', async function () {
    const rows = Array.from({ length: 450 }, (_, i) => due(i + 1));
    const calls = [];
    const emitted = [];
    const redelivery = loop(async (options) => {
      calls.push(options);
      return rows.filter((r) => Number(r.id) > Number(options.afterId ?? 0)).slice(0, options.limit);
    }, emitted);
    await redelivery.start();
    redelivery.stop();
    assert.equal(emitted.length, 450);
    assert.equal(new Set(emitted).size, 450);
    assert.ok(calls.every((c) => c.recovering === true));
    assert.deepEqual(
      calls.map((c) => c.afterId),
      [undefined, '200', '400', '450'],
    );
  });

  it('ends even when a store hands the same deliveries back (it ignores afterId)', async function () {
    const emitted = [];
    const redelivery = loop(async () => [due(1), due(2), due(3)], emitted);
    await redelivery.start();
    redelivery.stop();
    assert.deepEqual(emitted, ['1', '2', '3']);
  });
});
