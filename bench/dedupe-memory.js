#!/usr/bin/env node
// Shows that remembering any number of distinct delivery ids keeps memory bounded: 200,000 distinct ids through the
// same DuplicateGuard the node uses, heap measured after a full GC at checkpoints. Run: node --expose-gc bench/dedupe-memory.js
'use strict';
require('../scripts/usage')
  .helpRequested(`Usage: npm run bench:dedupe     (or: node --expose-gc bench/dedupe-memory.js [ids] after npm run build)

Remembers [ids] distinct delivery ids (default 200000) in the DuplicateGuard the node uses, and prints the heap
after a full GC at eight checkpoints: it stays bounded once the guard's capacity (50000) is reached.`);
const { DuplicateGuard } = require('../dist/receive/duplicateGuard');

if (typeof global.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const total = Number(process.argv[2] || 200_000);
const capacity = 50_000;
const guard = new DuplicateGuard(24 * 3600 * 1000, capacity);
const heapMiB = () => {
  global.gc();
  return process.memoryUsage().heapUsed / 1048576;
};
const start = heapMiB();
const rows = [];
for (let i = 1; i <= total; i++) {
  guard.remember(`id:msg_${i.toString(36)}_${((i * 2654435761) >>> 0).toString(16)}`);
  if (i % (total / 8) === 0) rows.push({ ids: i, remembered: guard.size, heapMiB: +(heapMiB() - start).toFixed(2) });
}
console.table(rows);
const growthAfterCapacity = rows.at(-1).heapMiB - rows.find((r) => r.ids >= capacity).heapMiB;
console.log(
  `heap growth from ${capacity} to ${total} ids: ${growthAfterCapacity.toFixed(2)} MiB (bounded: ${Math.abs(growthAfterCapacity) < 2})`,
);
