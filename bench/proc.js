'use strict';
// What Linux's /proc says of a process: its CPU time (all threads, or its main thread only) and its resident memory.
const fs = require('node:fs');

/**
 * CPU seconds (user + system) the process has used so far; Linux reports them in clock ticks of 1/100 s. With
 * `mainThread`, only its event loop's thread (the rest is the inbox's writer, the garbage collector's helpers, libuv).
 */
function cpuSeconds(pid, { mainThread = false } = {}) {
  try {
    const stat = mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
    const fields = fs.readFileSync(stat, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function rssMiB(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

module.exports = { cpuSeconds, rssMiB };

if (require.main === module)
  require('../scripts/usage').helpRequested(
    'Usage: none: bench/proc.js is a module the benchmark scripts load (CPU time and memory from /proc).',
  );
