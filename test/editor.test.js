'use strict';
// The dialogs in a real editor, in headless Chromium: the lead map (presets, the preset's example, the field picker,
// the live preview), the source (only the fields a provider needs) and the webhook node's Send test event button.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startNodeRed } = require('./support/real-node-red');
const { launchBrowser } = require('./support/browser');

describe('the dialogs in the editor', function () {
  this.timeout(90000);
  let nodeRed;
  let browser;
  before(async () => {
    // The welcome tour would cover the dialog; nothing else differs from default settings.
    nodeRed = await startNodeRed({ settings: 'module.exports = { editorTheme: { tours: false } };' });
    await nodeRed.deploy([
      { id: 'tab', type: 'tab', label: 'leads' },
      { id: 'src', type: 'sales-webhook-source', name: 'SaleAssist account', provider: 'saleassist', headerName: 'x-webhook-token', tolerance: 300, credentials: { token: 'editor-test-token-7f3a' } },
      { id: 'in', type: 'sales-webhook in', z: 'tab', x: 120, y: 100, url: '/webhooks/saleassist', source: 'src', maxBytes: 1048576, dedupe: true, dedupeHours: 24, dedupeLimit: 50000, dedupeStore: '', version: 1, wires: [['mapper'], []] },
      { id: 'mapper', type: 'sales-lead-map', z: 'tab', x: 300, y: 100, name: '', preset: 'custom', mappings: [{ field: 'email', path: 'payload.people_detail.email', type: 'email', required: true, default: '' }], property: 'payload', split: false, splitPath: '', version: 1, wires: [[], []] },
    ]);
    browser = await launchBrowser();
    const { page } = browser;
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Node-RED asks once about update notifications; a user would answer it, so the test does.
    await page.addLocatorHandler(page.getByText('No, do not enable notifications'), (button) => button.click());
    await page.goto(nodeRed.url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('mapper'), null, { timeout: 30000 });
  });
  const pageErrors = [];
  afterEach(async () => {
    // Leave no dialog open for the next test.
    await browser.page.evaluate(() => { while (RED.editor.isOpen && RED.editor.isOpen()) RED.tray.close(); });
    assert.deepEqual(pageErrors, []);
  });
  after(async () => {
    await browser?.close();
    await nodeRed?.stop();
    if (nodeRed) fs.rmSync(nodeRed.userDir, { recursive: true, force: true });
  });

  it('picks the SaleAssist preset and shows prakashm@athenabpo.in in the preview', async function () {
    const { page } = browser;
    // The palette offers the node under our category.
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="sales-lead-map"]', { timeout: 15000 });

    await page.evaluate(() => RED.editor.edit(RED.nodes.node('mapper')));
    await page.waitForSelector('#node-input-preset option[value="saleassist:widget_new_conversation"]', { state: 'attached', timeout: 15000 });
    await page.selectOption('#node-input-preset', 'saleassist:widget_new_conversation');
    // The preset fills the rows and, with an empty sample box, loads its example event.
    await page.waitForFunction(() => document.querySelectorAll('#node-input-mapping-container .sales-lead-map-row').length > 5);
    await page.waitForFunction(() => document.querySelector('#sales-lead-map-preview').textContent.includes('prakashm@athenabpo.in'), null, { timeout: 15000 });
    const preview = await page.textContent('#sales-lead-map-preview');
    assert.match(preview, /"email": "prakashm@athenabpo.in"/);
    assert.match(preview, /"fullName": "Prakash Mudhaliyar"/);

    // The field picker: clicking a path adds a row for it, and the preview shows its value under custom.
    const rowsBefore = await page.locator('#node-input-mapping-container .sales-lead-map-row').count();
    await page.locator('#sales-lead-map-paths li', { hasText: 'payload.people_detail.device' }).first().click();
    assert.equal(await page.locator('#node-input-mapping-container .sales-lead-map-row').count(), rowsBefore + 1);
    await page.waitForFunction(() => document.querySelector('#sales-lead-map-preview').textContent.includes('"device": "Mobile"'));

    // A required row whose path finds nothing is marked with its reason.
    await page.locator('#node-input-mapping-container .sales-lead-map-row').first().locator('.sales-lead-map-path').fill('payload.people_detail.nowhere');
    await page.waitForFunction(() => {
      const reason = document.querySelector('#node-input-mapping-container .sales-lead-map-row .sales-lead-map-reason');
      return reason && reason.textContent.includes('required');
    });

    // Done stores the rows on the node.
    await page.click('#node-dialog-ok');
    const stored = await page.evaluate(() => RED.nodes.node('mapper').mappings);
    assert.equal(stored.length, rowsBefore + 1);
    assert.equal(stored[0].path, 'payload.people_detail.nowhere');
  });

  it('the source dialog shows the chosen provider\'s description and only the fields it needs', async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.editConfig('', 'sales-webhook-source', 'src'));
    await page.waitForSelector('#node-config-input-provider option[value="salesmagic"]', { state: 'attached', timeout: 15000 });
    await page.waitForFunction(() => /custom header/.test(document.querySelector('#sales-webhook-source-description').textContent));
    const visible = (field) => page.isVisible(`#sales-webhook-source-row-${field}`);
    assert.equal(await visible('token'), true);
    assert.equal(await visible('headerName'), true);
    assert.equal(await visible('secret'), false);
    assert.equal(await visible('template'), false);
    await page.selectOption('#node-config-input-provider', 'salesmagic');
    await page.waitForFunction(() => /Svix/.test(document.querySelector('#sales-webhook-source-description').textContent));
    assert.equal(await visible('secret'), true);
    assert.equal(await visible('previousSecret'), true);
    assert.equal(await visible('token'), false);
    assert.match(await page.textContent('#sales-webhook-source-events'), /call\.completed/);
    await page.selectOption('#node-config-input-provider', 'hmac');
    assert.equal(await visible('template'), true);
    assert.equal(await visible('algorithm'), true);
    // The token never comes back to the browser.
    assert.notEqual(await page.inputValue('#node-config-input-token'), 'editor-test-token-7f3a');
    await page.click('#node-config-dialog-cancel');
  });

  it('Send test event posts a signed example to the deployed node and shows the answer', async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('in')));
    await page.waitForSelector('#sales-webhook-in-test-event option[value="widget_new_conversation"]', { state: 'attached', timeout: 15000 });
    await page.click('#sales-webhook-in-test-send');
    await page.waitForFunction(() => /^200 /.test(document.querySelector('#sales-webhook-in-test-result').textContent), null, { timeout: 15000 });
    assert.equal(await page.textContent('#sales-webhook-in-test-result'), '200 {"received":true}');
    await page.check('#sales-webhook-in-test-tamper');
    await page.click('#sales-webhook-in-test-send');
    await page.waitForFunction(() => /^401 /.test(document.querySelector('#sales-webhook-in-test-result').textContent), null, { timeout: 15000 });
    await page.click('#node-dialog-cancel');
  });

  it('the webhook dialog: inbox on for a node saved before it existed, lease rows with it, the memory guard rows without it; settle in the palette', async function () {
    const { page } = browser;
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="sales-webhook settle"]', { timeout: 15000 });
    // The previous dialog's tray closes with an animation; until it is gone its inputs share the new one's ids.
    await page.waitForFunction(() => document.querySelectorAll('#node-input-url').length === 0, null, { timeout: 15000 });
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('in')));
    await page.waitForSelector('#node-input-inbox', { timeout: 15000 });
    assert.equal(await page.isChecked('#node-input-inbox'), true);
    assert.equal(await page.isVisible('#node-input-leaseMinutes'), true);
    assert.equal(await page.isVisible('#node-input-maxAttempts'), true);
    assert.equal(await page.isVisible('#node-input-dedupeHours'), true, 'the window is the inbox\'s duplicate window');
    assert.equal(await page.isVisible('#node-input-dedupeLimit'), false);
    assert.equal(await page.isVisible('#node-input-dedupeStore'), false);
    await page.uncheck('#node-input-inbox');
    assert.equal(await page.isVisible('#node-input-leaseMinutes'), false);
    assert.equal(await page.isVisible('#node-input-dedupeLimit'), true);
    assert.equal(await page.isVisible('#node-input-dedupeStore'), true);
    await page.check('#node-input-inbox');
    // The defaults are filled in, so Done would store them.
    assert.equal(await page.inputValue('#node-input-leaseMinutes'), '5');
    assert.equal(await page.inputValue('#node-input-maxAttempts'), '5');
    await page.click('#node-dialog-cancel');
  });
});
