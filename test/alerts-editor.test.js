'use strict';
// The alert node's dialog and the sidebar's open problems in a real editor (headless Chromium, Node-RED's default
// settings but the welcome tour): the dialog lists every kind from the runtime's facts and saves the chosen ones, and
// offers where to keep open problems; an open problem appears above the delivery log with its sentence, and a
// delivery-failed one has "Replay these", which asks with the count and says how many were replayed.
const assert = require('node:assert/strict');
const { startNodeRed } = require('./support/real-node-red');
const { launchBrowser, requireBrowser, answerUpdateQuestion, evalAllNow } = require('./support/browser');
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
  // A plain flow that fails every first emission (a CRM that is down) and takes replays.
  {
    id: 'failing',
    type: 'sales-webhook in',
    z: 'tab',
    url: '/webhooks/failing',
    source: 'src',
    maxBytes: 1048576,
    version: 2,
    wires: [['boom'], []],
  },
  {
    id: 'boom',
    type: 'function',
    z: 'tab',
    func: "if (!msg.webhook.replay) throw new Error('the CRM is down'); return msg;",
    outputs: 1,
    wires: [[]],
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
    for (let i = 0; i < 2; i++) {
      await postStatus(`${nodeRed.url}/webhooks/alerted`, signedLead(`x${i}@example.com`, 's3cret', { forged: true }));
      assert.equal(await postStatus(`${nodeRed.url}/webhooks/failing`, signedLead(`y${i}@example.com`, 's3cret')), 200);
    }
    browser = await launchBrowser(this);
    const { page } = browser;
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await answerUpdateQuestion(page);
    await page.goto(nodeRed.url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('alert'), null, { timeout: 30000 });

    await page.evaluate(() => RED.editor.edit(RED.nodes.node('alert')));
    await page.waitForSelector('#sales-webhook-alert-kinds input', { state: 'visible' });
    const boxes = await evalAllNow(page, '#sales-webhook-alert-kinds label', (labels) =>
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
    // "Keep open problems in": automatic at first; a Redis node is asked for only when that is the choice.
    assert.deepEqual(await evalAllNow(page, '#node-input-keepIn option', (options) => options.map((o) => o.value)), [
      'watched',
      'runtime',
      'redis-node',
    ]);
    assert.equal(await page.inputValue('#node-input-keepIn'), 'watched');
    assert.equal(await page.isVisible('#sales-webhook-alert-problem-store-row'), false);
    await page.selectOption('#node-input-keepIn', 'redis-node');
    assert.equal(await page.isVisible('#sales-webhook-alert-problem-store-row'), true);
    if (process.env.SCREENSHOTS)
      await page.locator('.red-ui-tray').screenshot({ path: `${process.env.SCREENSHOTS}/alerts-dialog.png` });
    await page.selectOption('#node-input-keepIn', 'watched');
    await page.click('#node-dialog-ok');
    const kinds = await page.evaluate(() => RED.nodes.node('alert').kinds);
    assert.deepEqual(kinds, ['delivery-failed', 'crm-credentials', 'store-unavailable', 'backlog', 'rejections']);

    await page.setViewportSize({ width: 315 + 700, height: 900 });
    await page.evaluate(() => RED.sidebar.show('sales-webhooks-log'));
    await page.waitForSelector('#sales-webhooks-log-problems li[data-kind="delivery-failed"]', {
      state: 'visible',
      timeout: 15000,
    });
    const text = await page.textContent('#sales-webhooks-log-problems');
    assert.match(text, /2 open problems/);
    assert.match(text, /refused 2 requests within 5 minutes/);
    assert.match(text, /the CRM is down \(2 so far\)/);
    const buttons = await evalAllNow(page, '#sales-webhooks-log-problems li', (items) =>
      items.map((li) => `${li.dataset.kind} ${Boolean(li.querySelector('.sales-webhooks-log-replay-problem'))}`),
    );
    assert.deepEqual(buttons.sort(), ['delivery-failed true', 'rejections false'], 'a refusal has nothing to replay');
    // SCREENSHOTS=<dir> keeps a picture of the sidebar to look at.
    if (process.env.SCREENSHOTS)
      await page
        .locator('#sales-webhooks-log-problems')
        .screenshot({ path: `${process.env.SCREENSHOTS}/alerts-sidebar.png` });
    const width = await page.evaluate(
      () => document.querySelector('#sales-webhooks-log-problems').getBoundingClientRect().width,
    );
    assert.ok(width <= 330, `the list fits the default sidebar (${width} px)`);

    // "Replay these": asks with the count, replays, says how many; the replays succeed and the problem resolves.
    await page.click('#sales-webhooks-log-problems li[data-kind="delivery-failed"] .sales-webhooks-log-replay-problem');
    await page.waitForSelector('#sales-webhooks-log-confirm', { state: 'visible' });
    await page.waitForTimeout(500); // the notification slides in
    const question = await page.textContent('.red-ui-notification:has(#sales-webhooks-log-confirm)');
    assert.match(
      question,
      /Replay the 2 deliveries of "\/webhooks\/failing" that failed since .+ and are still failed\?/,
    );
    assert.equal((await page.textContent('#sales-webhooks-log-confirm')).trim(), 'Replay 2');
    if (process.env.SCREENSHOTS)
      await page.screenshot({ path: `${process.env.SCREENSHOTS}/alerts-replay-confirm.png` });
    await page.click('#sales-webhooks-log-confirm');
    await page.waitForFunction(
      () =>
        /2 deliveries will be emitted again/.test(document.querySelector('.sales-webhooks-log-message')?.textContent),
      null,
      { timeout: 10000 },
    );
    await page.waitForSelector('#sales-webhooks-log-problems li[data-kind="delivery-failed"]', {
      state: 'detached',
      timeout: 15000,
    });
    assert.deepEqual(pageErrors, []);
  });
});
