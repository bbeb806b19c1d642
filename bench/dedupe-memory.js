#!/usr/bin/env node
// Shows that any number of distinct deliveries with the inbox off keeps memory bounded: 200,000 distinct ids accepted
// and handled by the memory store the node uses, with the node's default window and *Remember* limit, heap measured
// after a full GC at checkpoints. Run: node --expose-gc bench/dedupe-memory.js
'use strict';
require('../scripts/usage')
  .helpRequested(`Usage: npm run bench:dedupe     (or: node --expose-gc bench/dedupe-memory.js [ids] after npm run build)

Accepts [ids] distinct deliveries (default 200000) in the memory store the node uses with its inbox off, each handled
as a plain flow would, and prints the duplicate keys and deliveries it holds and the heap after a full GC at eight
checkpoints: it stays bounded once the node's default Remember limit of duplicate keys is reached (growth is
measured from twice that limit on).`);
const { MemoryInboxStore } = require('../dist/inbox/memory');
const { WEBHOOK_IN_DEFAULTS } = require('../dist/receive/webhookInDefaults');

if (typeof global.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}

async function main() {
  const total = Number(process.argv[2] || 200_000);
  const limit = WEBHOOK_IN_DEFAULTS.dedupeLimit;
  const windowMs = WEBHOOK_IN_DEFAULTS.dedupeHours * 3600 * 1000;
  const store = new MemoryInboxStore();
  const meta = {
    provider: 'saleassist',
    eventType: 'widget_new_conversation',
    verified: true,
    known: true,
    headers: {},
  };
  const heapMiB = () => {
    global.gc();
    return process.memoryUsage().heapUsed / 1048576;
  };
  const start = heapMiB();
  const rows = [];
  for (let i = 1; i <= total; i++) {
    const id = `msg_${i.toString(36)}_${((i * 2654435761) >>> 0).toString(16)}`;
    const now = Date.now();
    const result = await store.accept({
      node: 'n1',
      duplicateKey: `id:${id}`,
      duplicateWindowMs: windowMs,
      duplicateLimit: limit,
      receivedAt: now,
      rawBody: Buffer.from(JSON.stringify({ id, event_type: 'widget_new_conversation', payload: { n: i } })),
      meta: { ...meta, eventId: id, receivedAt: new Date(now).toISOString() },
      issues: [],
      firstEmission: { settles: true, leaseMs: 60_000 },
    });
    await store.settle(result.id, { state: 'handled', at: now });
    if (i % (total / 8) === 0)
      rows.push({
        ids: i,
        keys: store.rememberedKeys('n1').length,
        deliveries: (await store.ids({ limit: total })).length,
        heapMiB: +(heapMiB() - start).toFixed(2),
      });
  }
  console.table(rows);
  // Measured from twice the limit: a Map keeps its deleted slots until it rehashes, so the heap settles a little after.
  const settled = rows.find((r) => r.ids >= 2 * limit) ?? rows.at(-1);
  const growth = rows.at(-1).heapMiB - settled.heapMiB;
  console.log(
    `heap growth from ${settled.ids} to ${total} ids: ${growth.toFixed(2)} MiB (bounded: ${Math.abs(growth) < 2})`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
