'use strict';
// `mocha` (npm test) runs every test file; `mocha test/x.test.js` or `npm test -- test/x.test.js` runs only the files
// named (mocha would otherwise add the configured spec to them and run the whole suite).
const named = process.argv.slice(2).some((arg) => !arg.startsWith('-') && /\.test\.js$|[/\\]unit[/\\]?$/.test(arg));

module.exports = {
  spec: named ? [] : ['test/**/*.test.js'],
  // The whole suite runs three files at a time: most of its time is spent waiting on Node-RED, Chromium and Redis
  // processes, not on the CPU. A single file runs alone, in order.
  ...(named ? {} : { parallel: true, jobs: 3 }),
  timeout: 20000,
  exit: true,
  reporter: 'spec',
};
