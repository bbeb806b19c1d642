'use strict';
const fs = require('node:fs');
const path = require('node:path');

/**
 * CPU per delivery of the cheapest durable write, the floor a store is compared with: `count` bodies appended in
 * groups of `groupSize`, one write and one fdatasync per group, to a file in `dir`.
 */
function durabilityFloor(dir, body, count, groupSize) {
  const fd = fs.openSync(path.join(dir, 'floor.log'), 'w');
  const group = Buffer.concat(Array.from({ length: groupSize }, () => body));
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i += groupSize) {
    fs.writeSync(fd, group);
    fs.fdatasyncSync(fd);
  }
  const used = process.cpuUsage(cpu);
  fs.closeSync(fd);
  return (used.user + used.system) / count;
}

module.exports = { durabilityFloor };

if (require.main === module)
  require('../scripts/usage').helpRequested(
    'Usage: none: bench/durability-floor.js is a module the store benchmarks load (the fsync floor they are compared with).',
  );
