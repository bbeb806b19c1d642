'use strict';
// Issue 10, defects 1 and 2 in the editor: the webhook dialog warns about a path the runtime would refuse at deploy,
// asking the runtime (one rule), in headless Chromium against a real Node-RED.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startNodeRed } = require('./support/real-node-red');
const { launchBrowser } = require('./support/browser');

describe('the webhook dialog warns about paths the runtime would refuse', function () {
  this.timeout(90000);
  let nodeRed;
  let browser;
  const pageErrors = [];
  before(async () => {
    nodeRed = await startNodeRed({ settings: 'module.exports = { editorTheme: { tours: false } };' });
    await nodeRed.deploy([
      { id: 'tab', type: 'tab', label: 'hooks' },
      { id: 'src', type: 'sales-webhook-source', provider: 'saleassist', credentials: { token: 'editor-test-token-7f3a' } },
      { id: 'in', type: 'sales-webhook in', z: 'tab', x: 120, y: 100, url: '/webhooks/saleassist', source: 'src', wires: [[], []] },
    ]);
    browser = await launchBrowser();
    const { page } = browser;
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.addLocatorHandler(page.getByText('No, do not enable notifications'), (button) => button.click());
    await page.goto(nodeRed.url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('in'), null, { timeout: 30000 });
  });
  after(async () => {
    await browser?.close();
    await nodeRed?.stop();
    if (nodeRed) fs.rmSync(nodeRed.userDir, { recursive: true, force: true });
  });

  it('names the editor route a path would hide, says when a path is not plain, and is quiet for a good one', async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('in')));
    await page.waitForSelector('#node-input-url', { timeout: 15000 });
    const warning = page.locator('#sales-webhook-in-url-warning');
    const expectWarning = async (url, pattern) => {
      await page.fill('#node-input-url', url);
      if (pattern) {
        await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#sales-webhook-in-url-warning').textContent), pattern.source, { timeout: 10000 });
        assert.ok(await warning.isVisible(), url);
      } else {
        await page.waitForFunction(() => getComputedStyle(document.querySelector('#sales-webhook-in-url-warning')).display === 'none', null, { timeout: 10000 });
      }
    };
    await expectWarning('/flows', /would hide the Node-RED editor's own \/flows routes/);
    await expectWarning('/', /would hide the Node-RED editor's own page/);
    await expectWarning('/bad(', /not a plain URL path/);
    await expectWarning('/webhooks/new', undefined);
    await page.evaluate(() => RED.tray.close());
    assert.deepEqual(pageErrors, []);
  });
});
