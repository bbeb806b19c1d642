#!/usr/bin/env node
'use strict';
// npm test: mocha on this Node (Node-RED 4.1), then the Node-RED 5 / Node 22 run of scripts/node22.js, which skips
// with one line on a machine without Node 22 (fails when CI is set). Named files run on both; either failing fails.
require('./usage')
  .helpRequested(`Usage: npm test [-- files…]     (or: node scripts/test.js [files…] after npm run build)

Runs the suite with mocha on this Node and Node-RED 4.1, then the Node-RED 5 / Node 22 run (node scripts/node22.js
test, see there); with files named, only those, on both.`);
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const mocha = spawnSync(process.execPath, [require.resolve('mocha/bin/mocha.js'), ...args], {
  cwd: path.resolve(__dirname, '..'),
  stdio: 'inherit',
});
// The second run goes on after a failed first one: CI reports both.
const node22 = require('./node22').runSuite(args);
process.exitCode = (mocha.status ?? 1) || node22;
