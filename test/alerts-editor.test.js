'use strict';
// The alert node's dialog and the sidebar's open problems in a real editor (headless Chromium, Node-RED's default
// settings but the welcome tour): the dialog lists every kind from the runtime's facts and saves the chosen ones; an open problem
// appears above the delivery log with its sentence.
const assert = require('node:assert/strict');
const { startNodeRed } = require('./support/real-node-red');
const { launchBrowser, requireBrowser } = require('./support/browser');
const { signedLead, postStatus } = require('./support/leads-load');

const flow = [
  { id: 'tab', type: 'tab', label: 'alerts' },
  { id: 'src', type: 'sales-webhook-source', provider: 'hmac', prefix: 'sha256=', credentials: { secret: 's3cret' } },
  {
    id: 'in',
    type: 'sales-webhook in',
    z: 'tab',
    url: '/webhooks/alerted',
    source: 'src',
    maxBytes: 1048576,
    version: 2,
    wires: [[], []],
  },
  { id: 'alert', type: 'sales-webhook alert', z: 'tab', rejections: 2, version: 1, wires: [[]] },
];

describe('the alert node in the editor', function () {
  this.timeout(120000);
  let nodeRed;
  let browser;
  before(function () {
    requireBrowser(this);
  });
  after(async () => {
    await browser?.close();
    await nodeRed?.remove();
  });

  it('the dialog saves the chosen kinds; the sidebar lists open problems at 315 px', async function () {
    // No welcome tour over the dialog's buttons.
    nodeRed = await startNodeRed({ settings: 'module.exports = { editorTheme: { tours: false } };\n' });
    await nodeRed.deploy(flow);
    for (let i = 0; i < 2; i++)
      await postStatus(`${nodeRed.url}/webhooks/alerted`, signedLead(`x${i}@example.com`, 's3cret', { forged: true }));
    browser = await launchBrowser(this);
    const { page } = browser;
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.addLocatorHandler(page.getByText('No, do not enable notifications'), (button) => button.click());
    await page.goto(nodeRed.url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('alert'), null, { timeout: 30000 });

    await page.evaluate(() => RED.editor.edit(RED.nodes.node('alert')));
    await page.waitForSelector('#sales-webhook-alert-kinds input', { state: 'visible' });
    const boxes = await page.$$eval('#sales-webhook-alert-kinds label', (labels) =>
      labels.map((l) => [l.querySelector('input').value, l.querySelector('input').checked, l.textContent]),
    );
    assert.deepEqual(
      boxes.map(([kind, checked]) => [kind, checked]),
      ['delivery-failed', 'crm-credentials', 'store-unavailable', 'backlog', 'quiet', 'rejections'].map((k) => [
        k,
        true,
      ]),
    );
    assert.ok(
      boxes.every(([kind, , text]) => text && !text.includes('sales-webhook-alert.')),
      'labels come from the catalog',
    );
    await page.uncheck('#sales-webhook-alert-kinds input[value="quiet"]');
    assert.equal(await page.inputValue('#node-input-backlogMinutes'), '15');
    await page.click('#node-dialog-ok');
    const kinds = await page.evaluate(() => RED.nodes.node('alert').kinds);
    assert.deepEqual(kinds, ['delivery-failed', 'crm-credentials', 'store-unavailable', 'backlog', 'rejections']);

    await page.setViewportSize({ width: 315 + 700, height: 900 });
    await page.evaluate(() => RED.sidebar.show('sales-webhooks-log'));
    await page.waitForSelector('#sales-webhooks-log-problems li', { state: 'visible', timeout: 15000 });
    const text = await page.textContent('#sales-webhooks-log-problems');
    assert.match(text, /1 open problem/);
    assert.match(text, /refused 2 requests within 5 minutes/);
    // SCREENSHOTS=<dir> keeps a picture of the sidebar to look at.
    if (process.env.SCREENSHOTS)
      await page
        .locator('#sales-webhooks-log-problems')
        .screenshot({ path: `${process.env.SCREENSHOTS}/alerts-sidebar.png` });
    const width = await page.evaluate(
      () => document.querySelector('#sales-webhooks-log-problems').getBoundingClientRect().width,
    );
    assert.ok(width <= 330, `the list fits the default sidebar (${width} px)`);
    assert.deepEqual(pageErrors, []);
  });
});
