#!/usr/bin/env node
'use strict';
// A measured sketch, not a store: what another write path for the embedded inbox would cost (see the README's figures).
//   node bench/write-path-prototype.js     (after npm run build)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helpRequested } = require('../scripts/usage');
const { durabilityFloor } = require('./durability-floor');

helpRequested(`Usage: node bench/write-path-prototype.js     (after npm run build)

CPU per delivery (accepted, then settled; groups of 20; one thread, no worker) of: the floor (bodies appended to a
file, one write and one fdatasync per group), today's SQLite inbox (InboxDatabase), and sketches of another write path:
each group appended to a log file of our own (one write, one fdatasync) with a SQLite index of the deliveries written
behind it without an fsync of its own, after every group or every 10 groups, or with no index at all. The median of
three passes, and each over the floor measured in the same run.`);
const Database = require('better-sqlite3');
const { InboxDatabase, packDelivery } = require('../dist/inbox/sqliteDatabase');
const body = fs.readFileSync(path.join(__dirname, '..', 'sample-events', 'saleassist', 'widget_new_conversation.json'));
const headers = JSON.stringify({ 'content-type': 'application/json', host: '127.0.0.1:1880', 'user-agent': 'bench' });
const N = 20000,
  G = 20;
const cpu = (f) => {
  const t = process.cpuUsage();
  f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / N;
};
const dirs = [];
const fresh = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'write-path-'));
  dirs.push(dir);
  return dir;
};
process.on('exit', () => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const floor = () => durabilityFloor(fresh(), body, N, G);

function current() {
  const db = new InboxDatabase(path.join(fresh(), 'x.db'));
  const run = db.db.transaction((ops) => ops.map((f) => f()));
  let ids = [];
  return cpu(() => {
    for (let i = 0; i < N; i += G) {
      const ops = [];
      for (let j = 0; j < G; j++) {
        const k = i + j;
        ops.push(() =>
          db.accept(
            packDelivery({
              node: 'n',
              duplicateKey: 'k' + k,
              duplicateWindowMs: 864e5,
              duplicateLimit: 50000,
              receivedAt: Date.now(),
              rawBody: body,
              meta: { provider: 'hmac', eventType: 'x', receivedAt: 'x', verified: true, known: true, headers: {} },
              issues: [],
              firstEmission: { settles: true, leaseMs: 3e5 },
            }),
          ),
        );
      }
      for (const id of ids) ops.push(() => db.settle(String(id), { state: 'handled', at: Date.now() }));
      ids = run(ops).slice(0, G);
      db.keysCommitted();
    }
  });
}

function logPlusIndex(applyEvery = 1, withIndex = true) {
  const dir = fresh();
  const fd = fs.openSync(path.join(dir, 'bodies.log'), 'a');
  const db = new Database(path.join(dir, 'idx.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('wal_autocheckpoint = 4000');
  db.exec(`CREATE TABLE d (id INTEGER PRIMARY KEY, node TEXT, provider TEXT, event_type TEXT, received_at INTEGER, state TEXT, log_offset INTEGER, log_length INTEGER, meta TEXT, headers TEXT, lease_until INTEGER);
           CREATE INDEX d_received ON d (received_at); CREATE INDEX d_unsettled ON d (node, state) WHERE state IN ('received','emitted');
           CREATE TABLE s (seq INTEGER PRIMARY KEY, delivery_id INTEGER, state TEXT, record TEXT); CREATE INDEX s_d ON s (delivery_id);`);
  const ins = db.prepare(
    'INSERT INTO d (id, node, provider, event_type, received_at, state, log_offset, log_length, meta, headers, lease_until) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
  );
  const insS = db.prepare('INSERT INTO s (delivery_id, state, record) VALUES (?,?,?)');
  const upd = db.prepare('UPDATE d SET state = ?, lease_until = NULL WHERE id = ?');
  const apply = db.transaction((rows, settles) => {
    for (const r of rows) ins.run(...r);
    for (const [id, rec] of settles) {
      insS.run(id, 'handled', rec);
      upd.run('handled', id);
    }
  });
  let offset = 0,
    nextId = 1,
    ids = [],
    pendingRows = [],
    pendingSettles = [],
    groups = 0;
  return cpu(() => {
    for (let i = 0; i < N; i += G) {
      const parts = [],
        rows = [],
        settles = [];
      for (let j = 0; j < G; j++) {
        const meta = JSON.stringify({ provider: 'hmac', eventType: 'x', receivedAt: 'x', verified: true, known: true });
        const head = Buffer.from(JSON.stringify([nextId, 'n', 'k' + (i + j), meta, headers]) + '\n');
        const len = Buffer.allocUnsafe(8);
        len.writeUInt32LE(head.length, 0);
        len.writeUInt32LE(body.length, 4);
        parts.push(len, head, body);
        rows.push([
          nextId,
          'n',
          'hmac',
          'x',
          Date.now(),
          'emitted',
          offset + 8 + head.length,
          body.length,
          meta,
          headers,
          Date.now() + 3e5,
        ]);
        offset += 8 + head.length + body.length;
        nextId++;
      }
      for (const id of ids) {
        const rec = JSON.stringify({ state: 'handled', at: Date.now() });
        const line = Buffer.from(JSON.stringify(['settle', id, rec]) + '\n');
        parts.push(line);
        offset += line.length;
        settles.push([id, rec]);
      }
      fs.writeSync(fd, Buffer.concat(parts));
      fs.fdatasyncSync(fd);
      if (withIndex) {
        pendingRows.push(...rows);
        pendingSettles.push(...settles);
        if (++groups % applyEvery === 0) {
          apply(pendingRows, pendingSettles);
          pendingRows = [];
          pendingSettles = [];
        }
      }
      ids = rows.map((r) => r[0]);
    }
  });
}

const results = { floor: [], current: [], logPlusIndex: [], logIndexEvery10: [], logOnly: [] };
for (let pass = 0; pass < 3; pass++) {
  results.floor.push(floor());
  results.current.push(current());
  results.logPlusIndex.push(logPlusIndex());
  results.logIndexEvery10.push(logPlusIndex(10));
  results.logOnly.push(logPlusIndex(1, false));
}
const med = (xs) => xs.sort((a, b) => a - b)[1];
const f = med(results.floor);
for (const [k, v] of Object.entries(results))
  console.log(
    k.padEnd(13),
    med(v).toFixed(1),
    'µs/delivery',
    (med(v) / f).toFixed(1) + '× floor',
    v.map((x) => x.toFixed(1)).join(' '),
  );
