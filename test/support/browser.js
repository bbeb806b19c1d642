'use strict';
// A system Chromium or Chrome, driven by playwright-core; never a downloaded browser. Tests call requireBrowser(this)
// in their before hook: without a browser they skip with one line (or fail under CI), see ./system-tools.js.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { findSystemTool, requireSystemTool, CHROMIUM } = require('./system-tools');

/** For a mocha before hook: the browser's path, or the suite is skipped (a failure when CI is set). */
const requireBrowser = (context) => requireSystemTool(context, CHROMIUM);

async function launchBrowser() {
  const executablePath = findSystemTool(CHROMIUM);
  if (!executablePath) throw new Error(`No Chromium or Chrome found. ${CHROMIUM.howToInstall}`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sales-webhooks-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    context,
    page: context.pages()[0] ?? (await context.newPage()),
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

module.exports = { launchBrowser, requireBrowser };
