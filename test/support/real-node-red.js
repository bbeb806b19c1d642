'use strict';
// Starts a real Node-RED process with a temporary user directory, default settings and this package installed.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { freePort, onFreePort } = require('./free-port');
const os = require('node:os');
const path = require('node:path');

const projectRoot = path.resolve(__dirname, '..', '..');
// The Node-RED under test: the devDependency `node-red` (4.1), or the installed package NODE_RED_UNDER_TEST names
// (scripts/node22.js sets node-red-5 for its Node 22 run). Every test that loads Node-RED takes it from here.
const nodeRedPackage = process.env.NODE_RED_UNDER_TEST || 'node-red';
const nodeRedEntry = require.resolve(`${nodeRedPackage}/red.js`);
const nodeRedVersion = require(`${nodeRedPackage}/package.json`).version;

/** Spawns Node-RED on `port` and waits for its flows: { child, port, output() }; rejects with its output if it stops or stalls. */
async function spawnNodeRed({ entry, dir, nodeArgs, env, port }) {
  const child = spawn(process.execPath, [...nodeArgs, entry, '--userDir', dir, '--port', String(port)], {
    env: { ...process.env, ...env, NODE_RED_ENABLE_PROJECTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test process that dies without stop() must not leave a Node-RED holding a port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let text = '';
  child.stdout.on('data', (d) => {
    text += d;
  });
  child.stderr.on('data', (d) => {
    text += d;
  });
  const output = () => text;
  const deadline = Date.now() + 30000;
  for (;;) {
    // The server answers before the flows (and their routes) exist; "Started flows" is logged even for an empty flow file.
    if (/Started flows/.test(text)) return { child, port, output };
    if (child.exitCode !== null) throw new Error(`Node-RED exited:\n${text}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Node-RED did not start:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts Node-RED. Options:
 * - settings: source of a settings.js (omit for Node-RED's default settings),
 * - entry: the red.js to run (another Node-RED version, e.g. require.resolve('node-red-3/red.js'))
 * - install: 'link' (what `npm install <checkout>` does) or the path of a directory already installed into,
 * - userDir: reuse a directory (to restart with the same context store),
 * - origin: (port) => the origin to reach it at, when settings make it listen elsewhere (uiHost, https).
 * Returns { url, port, userDir, logs(), deploy(flow), stop(), remove() }.
 */
async function startNodeRed({
  settings,
  userDir,
  install = 'link',
  env = {},
  nodeArgs = [],
  entry = nodeRedEntry,
  origin = (p) => `http://127.0.0.1:${p}`,
} = {}) {
  const dir = userDir || fs.mkdtempSync(path.join(os.tmpdir(), 'nr-sales-webhooks-'));
  if (install === 'link') {
    const modules = path.join(dir, 'node_modules');
    fs.mkdirSync(modules, { recursive: true });
    const link = path.join(modules, 'node-red-contrib-sales-webhooks');
    if (!fs.existsSync(link)) fs.symlinkSync(projectRoot, link, 'dir');
    if (!fs.existsSync(path.join(dir, 'package.json'))) {
      fs.writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify(
          {
            name: 'node-red-project',
            private: true,
            dependencies: { 'node-red-contrib-sales-webhooks': `file:${projectRoot}` },
          },
          null,
          2,
        ),
      );
    }
  }
  if (settings) fs.writeFileSync(path.join(dir, 'settings.js'), settings);
  const { child, port, output } = await onFreePort((port) => spawnNodeRed({ entry, dir, nodeArgs, env, port }));
  const url = origin(port);
  // With adminAuth on, the admin API answers 401 once it is up.
  await waitFor(async () => [200, 401].includes((await fetch(`${url}/flows`)).status), 20000);

  const startedFlows = () => output().split('Started flows').length - 1;
  /** Deploys (as the user of `token` when adminAuth is on) and waits until the runtime has restarted the flows: the admin API answers before that. */
  async function deploy(flow, { token } = {}) {
    const before = startedFlows();
    const res = await fetch(`${url}/flows`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'Node-RED-Deployment-Type': 'full',
        'Node-RED-API-Version': 'v1',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(flow),
    });
    if (!res.ok) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
    await waitFor(() => startedFlows() > before, 15000, 20);
  }

  function stop() {
    return new Promise((resolve) => {
      // Exited, or killed by a signal (a test's kill -9): nothing to wait for.
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  }

  /** Stops it and deletes its user directory. */
  async function remove() {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  return { url, port, userDir: dir, logs: output, deploy, stop, remove, process: child };
}

async function waitFor(predicate, timeoutMs = 10000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

module.exports = { startNodeRed, freePort, waitFor, projectRoot, nodeRedPackage, nodeRedEntry, nodeRedVersion };
