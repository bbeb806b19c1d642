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

// The benchmark scripts' smoke tests (about 23 s of CPU) run once per npm test, on Node 20: they keep a developer's
// tool working, while the Node-RED 5 run (scripts/node22.js sets NODE_RED_UNDER_TEST) is about the nodes.
const BENCH_SMOKE_TESTS = ['bench', 'bench-redis'];
const secondRun = Boolean(process.env.NODE_RED_UNDER_TEST);

function wholeSuite() {
  const files = fs
    .readdirSync(path.join(__dirname, 'test'), { recursive: true })
    .filter((file) => file.endsWith('.test.js'))
    .filter((file) => !(secondRun && BENCH_SMOKE_TESTS.includes(path.basename(file, '.test.js'))))
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
  // The whole suite runs five files at a time: npm test (both runs) takes 4.8-5.5 minutes on 2 cores, 7.3 at three at a
  // time, and six were no faster (both runs use the 2 cores fully: Chromium and real Node-REDs about a third each).
  // SALES_WEBHOOKS_TEST_JOBS sets another number. A single file runs alone.
  ...(named ? {} : { parallel: true, jobs: Number(process.env.SALES_WEBHOOKS_TEST_JOBS) || 5 }),
  timeout: 20000,
  exit: true,
  reporter: 'spec',
};
