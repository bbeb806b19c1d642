'use strict';
// Finds a system program a test needs (Chromium, redis-server, …) at its usual paths. On a developer's machine a
// missing one skips the tests that need it with one line saying how to get it; with CI set it fails the run.
const fs = require('node:fs');
const path = require('node:path');

const announced = new Set();

/** The first executable among `envVar`'s value, `candidates` (absolute paths) and `names` on PATH; undefined if none. */
function findSystemTool({ envVar, candidates = [], names = [] }) {
  for (const name of [].concat(envVar || [])) {
    if (process.env[name]) return isExecutable(process.env[name]) ? process.env[name] : undefined;
  }
  for (const file of candidates) if (isExecutable(file)) return file;
  for (const name of names) {
    for (const dir of String(process.env.PATH || '')
      .split(path.delimiter)
      .filter(Boolean)) {
      const file = path.join(dir, name);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Outside mocha (a script): the tool's path; or, when it is missing, one line saying how to get it and undefined; or
 * an error when the environment variable CI is set, because CI must run every test.
 */
function requireSystemToolOutsideMocha(tool) {
  const found = findSystemTool(tool);
  if (found) return found;
  const { label, envVar, candidates, names, howToInstall } = tool;
  const setVar = [].concat(envVar || []).find((name) => process.env[name]);
  const where = setVar
    ? `${setVar}=${process.env[setVar]} is not an executable`
    : `no ${label} found (looked for ${[...(names || []).map((n) => `${n} on PATH`), ...(candidates || [])].join(', ')})`;
  if (process.env.CI) throw new Error(`${where}; CI runs every test: ${howToInstall}`);
  if (!announced.has(label)) {
    announced.add(label);
    console.log(`  ⚠ skipping the ${label} tests: ${where}. To run them: ${howToInstall}`);
  }
  return undefined;
}

/**
 * For a mocha `before` hook: resolves with the tool's path, or skips the suite (printing `howToInstall` once per
 * tool) when it is missing, or throws when the environment variable CI is set, because CI must run every test.
 */
function requireSystemTool(context, tool) {
  const found = requireSystemToolOutsideMocha(tool);
  if (!found) context.skip();
  return found;
}

const CHROMIUM = {
  label: 'Chromium (editor)',
  envVar: ['CHROME_PATH', 'CHROMIUM_PATH'],
  candidates: [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/snap/bin/chromium',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ],
  names: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'],
  howToInstall: 'sudo apt-get install -y chromium (or set CHROME_PATH to a Chrome/Chromium binary), then npm test',
};

// For the shared-store tests (redis-server): requireSystemTool(this, REDIS_SERVER) in their before hook.
const REDIS_SERVER = {
  label: 'Redis (shared store)',
  envVar: 'REDIS_SERVER_PATH',
  candidates: ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'],
  names: ['redis-server'],
  howToInstall: 'sudo apt-get install -y redis-server (or set REDIS_SERVER_PATH), then npm test',
};

// For the Node-RED 5 run (scripts/node22.js): Node.js 22, unpacked from the npm registry into .tmp/node22/node/.
const NODE_22 = {
  label: 'Node-RED 5 on Node.js 22',
  envVar: 'NODE22_PATH',
  candidates: [path.resolve(__dirname, '..', '..', '.tmp', 'node22', 'node', 'bin', 'node')],
  names: ['node22'],
  howToInstall: 'node scripts/node22.js prepare (fetches Node 22 from the npm registry into .tmp/), then npm test',
};

module.exports = {
  findSystemTool,
  requireSystemTool,
  requireSystemToolOutsideMocha,
  CHROMIUM,
  REDIS_SERVER,
  NODE_22,
};
