'use strict';
// Reads a .cpuprofile and prints the functions with the most self time, and the share spent in this package's code.
const fs = require('node:fs');

function printSummary(file, top = 25) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const self = new Map();
  const intervals = profile.timeDeltas;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) || 0) + 1);
  const totalSamples = profile.samples.length;
  let ours = 0;
  let idle = 0;
  for (const [id, n] of counts) {
    const node = byId.get(id);
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || (functionName === '(program)' && !url)) {
      if (functionName === '(idle)') idle += n;
    }
    const where = url
      ? `${url
          .replace(/^file:\/\//, '')
          .replace(/.*node_modules\//, '')
          .replace(/.*\/dist\//, 'dist/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    self.set(key, (self.get(key) || 0) + n);
    if (/\/dist\//.test(url)) ours += n;
  }
  const busy = totalSamples - idle;
  console.log(
    `\nCPU profile ${file}: ${totalSamples} samples, ${((100 * idle) / totalSamples).toFixed(1)}% idle; this package's own code: ${((100 * ours) / Math.max(1, busy)).toFixed(1)}% of busy time`,
  );
  for (const [key, n] of [...self]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    console.log(`${((100 * n) / Math.max(1, busy)).toFixed(1).padStart(5)}%  ${key}`);
  void intervals;
}

module.exports = { printSummary };
if (require.main === module) {
  require('../scripts/usage').helpRequested(`Usage: node bench/profile-summary.js <file.cpuprofile>

Prints the functions with the most self time in a CPU profile (npm run bench:profile writes one to bench/results/)
and the share spent in this package's code.`);
  if (!process.argv[2]) {
    console.error('Name a .cpuprofile file (see --help).');
    process.exit(2);
  }
  printSummary(process.argv[2]);
}
