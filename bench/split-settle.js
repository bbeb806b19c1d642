#!/usr/bin/env node
'use strict';
// The embedded inbox alone: the CPU of settling each part of one split delivery, with its leads noted (as lead map
// notes them) against the same split without them, in the same run. Settling a part must not cost more for a larger
// split: before the split counters had a table of their own, a part of a 40,000-lead split cost 24 times one without leads.
//   node bench/split-settle.js [parts]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SqliteInboxStore } = require('../dist/inbox');
const { helpRequested } = require('../scripts/usage');

helpRequested(`Usage: node bench/split-settle.js [parts]     (after npm run build)

The embedded inbox alone, in this process: CPU per part (writer thread included) to settle every part of one split
delivery of <parts> parts (default 40000), 500 at a time, once with a lead noted for each part (as lead map notes
them) and once without; and the ratio of the two, which stays near 1 when a part's cost does not grow with the
split's size.`);

async function microsPerPart(parts, withLeads) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'split-settle-bench-'));
  const store = new SqliteInboxStore(path.join(dir, 'sales-webhooks.db'));
  await store.ready();
  const body = Buffer.from(JSON.stringify({ people: [] }));
  const { id } = await store.accept({
    node: 'bench',
    duplicateKey: `split-${process.pid}`,
    duplicateWindowMs: 86400000,
    receivedAt: Date.now(),
    rawBody: body,
    meta: {
      provider: 'hmac',
      eventType: 'meeting.ended',
      receivedAt: new Date().toISOString(),
      verified: true,
      known: true,
      headers: { 'content-type': 'application/json' },
    },
    issues: [],
  });
  const leads = Array.from({ length: parts }, (_, i) => ({ email: `person${i}@example.com` }));
  await store.markEmitted(id, {
    attempt: 1,
    settles: true,
    leaseUntil: Date.now() + 3600000,
    ...(withLeads ? { leads } : {}),
  });
  const cpu = process.cpuUsage();
  for (let start = 0; start < parts; start += 500) {
    await Promise.all(
      leads
        .slice(start, start + 500)
        .map((lead, i) =>
          store.settle(id, { state: 'delivered', part: { index: start + i, count: parts }, at: Date.now(), lead }),
        ),
    );
  }
  const used = process.cpuUsage(cpu);
  const state = (await store.get(id)).state;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (state !== 'delivered') throw new Error(`the split ended ${state}, not delivered`);
  return (used.user + used.system) / parts;
}

async function main() {
  const parts = Number(process.argv[2] ?? 40000);
  const without = await microsPerPart(parts, false);
  const noted = await microsPerPart(parts, true);
  console.log(
    JSON.stringify({
      parts,
      cpuMicrosPerPartLeadsNoted: +noted.toFixed(1),
      cpuMicrosPerPartNoLeads: +without.toFixed(1),
      notedOverNone: +(noted / without).toFixed(2),
    }),
  );
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
