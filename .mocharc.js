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
  // The whole suite runs five files at a time: most of a file's time is spent waiting on Node-RED, Chromium and
  // Redis processes. Measured on 2 cores, npm test (both runs): 7.3 minutes with three at a time, 5.4 with five
  // (5.05 since our nodes load lazily; six were no faster). SALES_WEBHOOKS_TEST_JOBS sets another number. A single
  // file runs alone, in order.
  ...(named ? {} : { parallel: true, jobs: Number(process.env.SALES_WEBHOOKS_TEST_JOBS) || 5 }),
  timeout: 20000,
  exit: true,
  reporter: 'spec',
};
