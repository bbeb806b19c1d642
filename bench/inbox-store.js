#!/usr/bin/env node
'use strict';
// The embedded inbox alone, in this process: what one delivery costs in CPU (all threads, the writer included) when
// stored with its first emission, then settled with its lead (as the HTTP bench's flow does), 20 at a time as the HTTP
// bench sends them; and how many share an fsync.
//   node bench/inbox-store.js [count]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SqliteInboxStore } = require('../dist/inbox');
const { WEBHOOK_IN_DEFAULTS } = require('../dist/receive/webhookInDefaults');
const { helpRequested } = require('../scripts/usage');
const { cpuSeconds } = require('./proc');
const { durabilityFloor } = require('./durability-floor');

helpRequested(`Usage: node bench/inbox-store.js [count]     (after npm run build)

The embedded inbox alone, in this process: CPU per delivery (writer thread included) when stored with its first
emission and then settled with its lead (as the HTTP bench's flow does), 20 at a time (also: of it, the main
thread's and the writer thread's), and how many deliveries share an fsync. count: deliveries (default 20000).
For scale, in the same run: the floor of durability on this machine, the same bodies appended to a plain file in
groups of the size the store reached, one write and one fdatasync per group (the median of three passes).`);

const body = fs.readFileSync(path.join(__dirname, '..', 'sample-events', 'saleassist', 'widget_new_conversation.json'));
const headers = {
  'content-type': 'application/json; charset=UTF-8',
  'x-signature': '[redacted]',
  host: '127.0.0.1:1880',
  'content-length': String(body.length),
  'user-agent': 'bench',
};

/** CPU seconds of each of this process's threads, by thread id (a thread's stat reads as a process's). */
function threadSeconds() {
  const tids = fs.readdirSync(`/proc/${process.pid}/task`);
  return new Map(tids.map((tid) => [tid, cpuSeconds(`${process.pid}/task/${tid}`)]));
}

async function main() {
  const count = Number(process.argv[2] ?? 20000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inbox-bench-'));
  const store = new SqliteInboxStore(path.join(dir, 'sales-webhooks.db'));
  await store.ready();
  let next = 0;
  const one = async () => {
    const i = next++;
    const meta = {
      provider: 'hmac',
      eventType: 'widget_new_conversation',
      eventId: undefined,
      occurredAt: undefined,
      receivedAt: new Date().toISOString(),
      verified: true,
      known: true,
      headers,
    };
    const result = await store.accept({
      node: 'bench',
      duplicateKey: `sha256:${i}-${process.pid}`,
      duplicateWindowMs: 86400000,
      // As the node passes it: past this many deliveries, each commit forgets the oldest keys.
      duplicateLimit: WEBHOOK_IN_DEFAULTS.dedupeLimit,
      receivedAt: Date.now(),
      rawBody: Buffer.from(body),
      meta,
      issues: [],
      // Stored in its first emission (a plain flow's, as the HTTP bench's): no markEmitted write before it is settled.
      firstEmission: { settles: false },
    });
    // As the flow's end settles it: handled, its one lead riding on the settlement.
    await store.settle(result.id, {
      state: 'handled',
      at: Date.now(),
      lead: { email: `p${i}@example.com`, name: 'Prakash' },
    });
  };
  const cpu = process.cpuUsage();
  const mainBefore = cpuSeconds(process.pid, { mainThread: true });
  const threadsBefore = threadSeconds();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < count) await one();
    }),
  );
  const used = process.cpuUsage(cpu);
  const mainMicros = (cpuSeconds(process.pid, { mainThread: true }) - mainBefore) * 1e6;
  // The writer is the busiest thread after the main one (the others: the garbage collector's helpers, libuv's pool).
  const writerMicros =
    Math.max(
      ...[...threadSeconds()]
        .filter(([tid]) => tid !== String(process.pid))
        .map(([tid, seconds]) => seconds - (threadsBefore.get(tid) ?? 0))
        .filter((seconds) => !Number.isNaN(seconds)),
    ) * 1e6;
  const seconds = (performance.now() - started) / 1000;
  const { fileBytes } = await store.sizes();
  const deliveriesPerFsync = count / store.stats.commits;
  // The median of three passes: one pass of a few hundred fsyncs varies by half on a shared machine.
  const groupSize = Math.max(1, Math.round(deliveriesPerFsync));
  const floor = [0, 1, 2].map(() => durabilityFloor(dir, body, count, groupSize)).sort((a, b) => a - b)[1];
  await store.close();
  const walBytes = fs.existsSync(path.join(dir, 'sales-webhooks.db-wal'))
    ? fs.statSync(path.join(dir, 'sales-webhooks.db-wal')).size
    : 0;
  console.log(
    JSON.stringify({
      deliveries: count,
      perSecond: Math.round(count / seconds),
      cpuMicrosPerDelivery: Math.round((used.user + used.system) / count),
      systemMicrosPerDelivery: Math.round(used.system / count),
      mainThreadMicrosPerDelivery: Math.round(mainMicros / count),
      writerThreadMicrosPerDelivery: Math.round(writerMicros / count),
      fsyncsPerSecond: Math.round(store.stats.commits / seconds),
      deliveriesPerFsync: +deliveriesPerFsync.toFixed(1),
      floorMicrosPerDelivery: Math.round(floor),
      storeOverFloor: +((used.user + used.system) / count / floor).toFixed(1),
      databaseMiB: +((fileBytes + walBytes) / 2 ** 20).toFixed(1),
    }),
  );
  fs.rmSync(dir, { recursive: true, force: true });
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
