'use strict';
// A system Chromium or Chrome, driven by playwright-core; never a downloaded browser. Tests launch it with
// launchBrowser(this): without a browser the test or suite skips with one line (or fails under CI), see
// ./system-tools.js. requireBrowser(this) skips earlier, before a suite starts what it would need the browser for.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { findSystemTool, requireSystemTool, CHROMIUM } = require('./system-tools');

/** For a mocha before hook: the browser's path, or the suite is skipped (a failure when CI is set). */
const requireBrowser = (context) => requireSystemTool(context, CHROMIUM);

/** A skip that also skips the suite's tests yet to run: they share the browser a test launched for them. */
const skipTheRest = (mochaContext) => ({
  skip() {
    for (const test of mochaContext.test?.parent?.tests ?? []) if (!test.state) test.pending = true;
    mochaContext.skip();
  },
});

/**
 * Launches the browser. In a test, pass mocha's context (`launchBrowser(this)`, in a `function`, not an arrow) so
 * that a machine without Chromium skips instead of failing; a script (no mocha) passes nothing and gets an error.
 */
async function launchBrowser(mochaContext) {
  let executablePath;
  if (mochaContext) executablePath = requireSystemTool(skipTheRest(mochaContext), CHROMIUM);
  else if (typeof globalThis.it === 'function') {
    // Under mocha without a context the skip could not happen: fail on every machine, not only on one without Chromium.
    throw new Error('launchBrowser(this): pass the mocha context so that a machine without Chromium skips the test');
  } else {
    executablePath = findSystemTool(CHROMIUM);
    if (!executablePath) throw new Error(`No Chromium or Chrome found. ${CHROMIUM.howToInstall}`);
  }
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

/** Node-RED asks once about update notifications; a user would answer it, so a test does, whenever it shows. */
function answerUpdateQuestion(page) {
  return page.addLocatorHandler(page.getByText('No, do not enable notifications'), (button) => button.click());
}

/**
 * page.$eval and page.$$eval in one step. Playwright's take two (the query, then the function on what it found), and
 * a list the page redraws in between (the delivery log refreshes on every change) is read detached or gone.
 * `fn` runs in the page: it may use only its argument.
 */
function evalNow(page, selector, fn) {
  const query = JSON.stringify(selector);
  return page.evaluate(`(() => {
    const element = document.querySelector(${query});
    if (!element) throw new Error('nothing matches ' + ${query});
    return (${fn})(element);
  })()`);
}
function evalAllNow(page, selector, fn) {
  return page.evaluate(`(${fn})(Array.from(document.querySelectorAll(${JSON.stringify(selector)})))`);
}

module.exports = { launchBrowser, requireBrowser, answerUpdateQuestion, evalNow, evalAllNow };
