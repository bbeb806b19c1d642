'use strict';
// `mocha` (npm test) runs every test file; `mocha test/x.test.js` or `npm test -- test/x.test.js` runs only the files
// named (mocha would otherwise add the configured spec to them and run the whole suite).
const fs = require('node:fs');
const path = require('node:path');

const named = process.argv.slice(2).some((arg) => !arg.startsWith('-') && /\.test\.js$|[/\\]unit[/\\]?$/.test(arg));

// The files that take longest (about 20-65 s each, mostly waiting on real processes) start first: started last, one
// of them alone kept the run going a minute after the others were done. Only an order; every file runs.
const LONGEST_FIRST = [
  'redis-instances',
  'alerts-real',
  'flow-layout',
  'plain-flow',
  'bench-redis',
  'pack',
  'delivery-log-sidebar',
  'demo',
  'inbox-processes',
  'editor',
];

function wholeSuite() {
  const files = fs
    .readdirSync(path.join(__dirname, 'test'), { recursive: true })
    .filter((file) => file.endsWith('.test.js'))
    .map((file) => path.join('test', file))
    .sort();
  const rank = (file) => {
    const i = LONGEST_FIRST.indexOf(path.basename(file, '.test.js'));
    return i === -1 ? LONGEST_FIRST.length : i;
  };
  return files.sort((a, b) => rank(a) - rank(b));
}

module.exports = {
  spec: named ? [] : wholeSuite(),
  // The whole suite runs three files at a time: most of a file's time is spent waiting on Node-RED, Chromium and
  // Redis processes. Five at a time took npm test (both runs) from 7.3 to 5.4 minutes on 2 cores, but two of five
  // clean-clone CI runs then failed on tests that race under that load (the alerts one is fixed, the editor's
  // picker not yet), so three it stays. SALES_WEBHOOKS_TEST_JOBS sets another number. A single file runs alone.
  ...(named ? {} : { parallel: true, jobs: Number(process.env.SALES_WEBHOOKS_TEST_JOBS) || 3 }),
  timeout: 20000,
  exit: true,
  reporter: 'spec',
};
