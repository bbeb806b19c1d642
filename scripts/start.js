#!/usr/bin/env node
'use strict';
// `npm start`: Node-RED 4 on http://127.0.0.1:1880 with this checkout's nodes and the demo flow deployed.
// The user directory is .node-red-dev/ (ignored by git); `npm start -- --reset` redeploys the demo flow.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { demoFlow } = require('./demo-flow');

const projectRoot = path.resolve(__dirname, '..');

function prepareUserDir(userDir) {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  const link = path.join(userDir, 'node_modules', 'node-red-contrib-sales-webhooks');
  if (!fs.existsSync(link)) fs.symlinkSync(projectRoot, link, 'dir');
  const pkg = path.join(userDir, 'package.json');
  if (!fs.existsSync(pkg)) {
    fs.writeFileSync(
      pkg,
      JSON.stringify(
        {
          name: 'sales-webhooks-demo',
          private: true,
          dependencies: { 'node-red-contrib-sales-webhooks': `file:${projectRoot}` },
        },
        null,
        2,
      ),
    );
  }
  const settings = path.join(userDir, 'settings.js');
  if (!fs.existsSync(settings)) {
    fs.writeFileSync(
      settings,
      [
        '// Written by npm start for the local demo. Edit freely; it is not overwritten.',
        'module.exports = {',
        "  flowFile: 'flows.json',",
        "  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || 'sales-webhooks-local-demo',",
        "  uiHost: process.env.HOST || '127.0.0.1',",
        '  // The demo opens on its flow: no "Enable update notifications?" question and no welcome tour.',
        '  telemetry: { enabled: false, updateNotification: false },',
        '  editorTheme: { tours: false },',
        '};',
        '',
      ].join('\n'),
    );
  }
}

function hasDemoFlow(userDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8')).some((n) => n.id === 'demo-tab');
  } catch {
    return false;
  }
}

/** Starts the demo; resolves once the editor answers and the demo flow is running. */
async function startDemo({
  port = require('../dist/send/demoAddress').demoPort(process.env),
  userDir = path.join(projectRoot, '.node-red-dev'),
  reset = false,
  env = process.env,
  log = console.log,
} = {}) {
  prepareUserDir(userDir);
  const nodeRed = require.resolve('node-red/red.js');
  const child = spawn(process.execPath, [nodeRed, '--userDir', userDir, '--port', String(port)], {
    env: { ...env, NODE_RED_ENABLE_PROJECTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let output = '';
  const echo = (chunk) => {
    output += chunk;
    if (log) process.stdout.write(chunk);
  };
  child.stdout.on('data', echo);
  child.stderr.on('data', echo);
  // Reached where it listens (HOST; loopback for a wildcard), as `sales-webhooks send` reaches it.
  const url = require('../dist/send/demoAddress').demoBaseUrl({ HOST: env.HOST, PORT: String(port) });
  const started = () => output.split('Started flows').length - 1;
  await new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (started() > 0) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`Node-RED exited with code ${code}:\n${output}`));
    });
  });
  const { nodes, leadsFile } = demoFlow({ userDir, env });
  if (reset || !hasDemoFlow(userDir)) {
    const before = started();
    const res = await fetch(`${url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(nodes),
    });
    if (!res.ok) throw new Error(`could not deploy the demo flow: ${res.status} ${await res.text()}`);
    await new Promise((resolve) => {
      const t = setInterval(() => {
        if (started() > before) {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  return { url, port, userDir, leadsFile, child, stop, logs: () => output };
}

if (require.main === module) {
  require('./usage')
    .helpRequested(`Usage: npm start [-- --reset]     (or: node scripts/start.js [--reset] after npm run build)

Starts Node-RED on http://127.0.0.1:1880 (PORT, HOST to change; "sales-webhooks send" reads them too) with this
checkout's nodes and the demo flow, using the user directory .node-red-dev/. --reset deploys the demo flow again (after changing a *_SECRET or *_TOKEN).`);
  startDemo({ reset: process.argv.includes('--reset') }).then(
    ({ url, leadsFile, child, stop }) => {
      console.log(`\nSales webhooks demo: ${url}`);
      console.log(
        '  webhooks: ' +
          ['saleassist', 'salesmagic', 'callcall', 'salescaling', 'recorder']
            .map((p) => `${url}/webhooks/${p}`)
            .join('\n            '),
      );
      console.log(`  try:      npx sales-webhooks send saleassist`);
      console.log(`  leads:    ${leadsFile}\n`);
      for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop().then(() => process.exit(0)));
      child.on('exit', (code) => process.exit(code ?? 0));
    },
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}

module.exports = { startDemo, prepareUserDir };
