#!/usr/bin/env node
'use strict';
// Takes docs/demo-flow.png: the demo flow in the editor, in Debian's headless Chromium (see test/support/browser.js).
require('./usage').helpRequested(`Usage: npm run screenshot     (or: node scripts/screenshot.js after npm run build)

Starts the demo on a free port, opens it in headless Chromium and writes docs/demo-flow.png.`);
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { startDemo } = require('./start');
const { launchBrowser } = require('../test/support/browser');

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function main() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sales-webhooks-shot-'));
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    "module.exports = { flowFile: 'flows.json', credentialSecret: 'screenshot', editorTheme: { tours: false }, telemetry: { enabled: false } };\n",
  );
  const demo = await startDemo({ port: await freePort(), userDir, log: null });
  const browser = await launchBrowser();
  try {
    const { page } = browser;
    await page.setViewportSize({ width: 1480, height: 700 });
    await page.goto(demo.url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('demo-in-saleassist'), null, {
      timeout: 30000,
    });
    await page.waitForSelector('#red-ui-workspace-chart .red-ui-flow-node-group');
    // The flow, not the sidebar, is the subject.
    await page.evaluate(() => RED.menu.setSelected('menu-item-sidebar', false));
    // Send one test event so the status dots and counters show the flow working.
    await fetch(`${demo.url}/sales-webhook-in/demo-in-saleassist/send-test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await page.waitForTimeout(1200);
    const out = path.join(__dirname, '..', 'docs', 'demo-flow.png');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out });
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    await browser.close();
    await demo.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
