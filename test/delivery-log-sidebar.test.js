'use strict';
// The delivery log sidebar in a real editor, in headless Chromium, with adminAuth on: it fills live while signed
// deliveries arrive and a real `sales-crm out` settles them in the CRM emulator's HubSpot, finds a lead by e-mail,
// shows a CRM attempt, replays (the node emits the delivery again),
// replays every failed delivery after showing how many, erases a person; Node-RED's read-only user is refused
// replay and erase with a message that names the missing permission.
const assert = require('node:assert/strict');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { launchBrowser, answerUpdateQuestion, evalAllNow } = require('./support/browser');
const { startCrmEmulator } = require('./support/crm-emulator');
const { logSettings, login, logFlow, postLead, deliveryInState, emitted, PASSWORD } = require('./support/delivery-log');

describe('the delivery log sidebar in the editor', function () {
  this.timeout(120000);
  let nodeRed;
  let browser;
  let emulator;
  const pageErrors = [];
  after(async () => {
    await browser?.close();
    await nodeRed?.remove();
    await emulator?.close();
  });

  /** Logs in to the editor as this user through Node-RED's login dialog and shows the log. */
  async function openAs(username) {
    const { page } = browser;
    await page.goto(nodeRed.url, { waitUntil: 'domcontentloaded' });
    await page.fill('#node-dialog-login-username', username, { timeout: 30000 });
    await page.fill('#node-dialog-login-password', PASSWORD);
    await page.click('#node-dialog-login-submit');
    await page.waitForFunction(() => window.RED && RED.sidebar && RED.nodes && RED.nodes.node('in'), null, {
      timeout: 30000,
    });
    await page.waitForFunction(() => RED.sidebar.containsTab('sales-webhooks-log'), null, { timeout: 15000 });
    await page.evaluate(() => RED.sidebar.show('sales-webhooks-log'));
    await page.waitForSelector('#sales-webhooks-log-list', { state: 'visible' });
  }
  const rowsText = () =>
    evalAllNow(browser.page, '#sales-webhooks-log-list tr.sales-webhooks-log-row', (rows) =>
      rows.map((r) => r.textContent),
    );
  const message = () => browser.page.textContent('#sales-webhooks-log-message');

  it('fills live, searches, shows a CRM attempt, replays, replays failed, erases', async function () {
    nodeRed = await startNodeRed({ settings: logSettings({ auth: true }) });
    emulator = await startCrmEmulator();
    const token = await login(nodeRed.url, 'admin');
    await nodeRed.deploy(logFlow(nodeRed.userDir, { emulator }), { token });
    browser = await launchBrowser(this);
    const { page } = browser;
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await answerUpdateQuestion(page);
    await openAs('admin');
    await page.waitForFunction(() =>
      /No deliveries yet/.test(document.querySelector('#sales-webhooks-log-empty').textContent),
    );
    assert.equal(await page.isVisible('#sales-webhooks-log-empty'), true);

    // Live: what comms brings is ids and states only; the rows come from the API.
    await page.evaluate(() => {
      window.announced = [];
      RED.comms.subscribe('sales-webhooks/deliveries', (topic, data) => window.announced.push(data));
    });
    for (const [email, name] of [
      ['dana@example.com', 'Dana Scully'],
      ['ed@example.com', 'Ed Example'],
    ]) {
      assert.equal((await postLead(nodeRed.url, email, name)).status, 200);
    }
    // Both rows, each delivered once the CRM took its lead.
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('#sales-webhooks-log-list tr.sales-webhooks-log-row')];
        return rows.length === 2 && rows.every((r) => /delivered/.test(r.textContent));
      },
      null,
      { timeout: 15000 },
    );
    const rows = await rowsText();
    assert.match(rows[0], /salesmagic.*user\.created.*delivered.*ed@example\.com/);
    assert.match(rows[1], /dana@example\.com/);
    const announced = await page.evaluate(() => window.announced);
    assert.ok(announced.length >= 2, JSON.stringify(announced));
    for (const a of announced) assert.deepEqual(Object.keys(a).sort(), ['id', 'node', 'state']);
    assert.doesNotMatch(JSON.stringify(announced), /@|Dana/);

    // Two deliveries the CRM fails: HubSpot busy for longer than the account's three attempts, then an error whose
    // answer, like the sender's name, holds markup: both shown as text, never run.
    emulator.fault({ status: 503, times: 3, match: /contacts/ });
    assert.equal((await postLead(nodeRed.url, 'carla@example.com', 'Carla Failed')).status, 200);
    const carla = await deliveryInState(nodeRed.url, 'carla@example.com', 'failed', { token });
    emulator.fault({
      status: 500,
      times: 1,
      match: /contacts/,
      body: { status: 'error', message: 'HubSpot answered <b>500</b>' },
    });
    const fayName = 'Fay <img src=x onerror="window.__salesWebhooksLogXss=1">';
    assert.equal((await postLead(nodeRed.url, 'fay@example.com', fayName)).status, 200);
    const fay = await deliveryInState(nodeRed.url, 'fay@example.com', 'failed', { token });
    await page.click('#sales-webhooks-log-refresh');
    await page.waitForFunction(
      () => document.querySelectorAll('#sales-webhooks-log-list tr.sales-webhooks-log-row').length === 4,
    );
    // The CRM account is failing, with HubSpot's last answer shown as text (its markup is not run).
    const account = '#sales-webhooks-log-crm-health li[data-account="acct"]';
    // It was failing already (Carla's 503s): wait for the health that includes Fay's answer.
    await page.waitForFunction(
      (selector) => /HubSpot answered/.test(document.querySelector(`${selector}[data-state="failing"]`)?.textContent),
      account,
    );
    assert.match(
      await page.textContent(account),
      /failing.*last success .*Failing since .*: the CRM refused to upsert the contacts \(500: HubSpot answered <b>500<\/b>\)/,
    );
    assert.equal(await page.locator(`${account} b`).count(), 1, "only the account's name is bold");

    // Search by e-mail.
    await page.fill('#sales-webhooks-log-search', 'DANA@example.com');
    await page.waitForFunction(
      () => document.querySelectorAll('#sales-webhooks-log-list tr.sales-webhooks-log-row').length === 1,
    );
    assert.match((await rowsText())[0], /dana@example\.com/);
    await page.fill('#sales-webhooks-log-search', 'nobody@example.com');
    await page.waitForFunction(() =>
      /No delivery matches the filter/.test(document.querySelector('#sales-webhooks-log-empty').textContent),
    );
    await page.fill('#sales-webhooks-log-search', '');
    await page.selectOption('#sales-webhooks-log-state', 'failed');
    await page.waitForFunction(
      () => document.querySelectorAll('#sales-webhooks-log-list tr.sales-webhooks-log-row').length === 2,
    );

    // The detail: body pretty-printed, headers redacted, the CRM attempt with its answer.
    await page.click(`#sales-webhooks-log-list tr[data-id="${carla.id}"]`);
    await page.waitForSelector('#sales-webhooks-log-detail tr.sales-webhooks-log-attempt');
    const attempt = await page.textContent('#sales-webhooks-log-detail tr.sales-webhooks-log-attempt');
    assert.match(attempt, /hubspot.*failed.*3.*the CRM answered 503 after 3 attempts \(emulated 503\)/);
    assert.match(
      await page.textContent('#sales-webhooks-log-detail .sales-webhooks-log-body'),
      /\n {2}"type": "user.created"/,
    );
    assert.match(
      await page.textContent('#sales-webhooks-log-detail .sales-webhooks-log-headers'),
      /svix-signature\[redacted\]/,
    );
    assert.match(await page.textContent('#sales-webhooks-log-detail'), /carla@example\.com/);
    // Its timeline: the three requests to HubSpot, each answered 503, the first two with their retry.
    const calls = await evalAllNow(page, '#sales-webhooks-log-timeline li[data-step="call"]', (list) =>
      list.map((li) => li.textContent),
    );
    assert.equal(calls.length, 3);
    for (const call of calls)
      assert.match(call, /^POST http:.*\/contacts\/batch\/upsert → 503.*\{"message":"emulated 503"\}/);
    assert.deepEqual(
      calls.map((call) => /retry planned at/.test(call)),
      [true, true, false],
    );

    // Replay this delivery: the node emits it again, the CRM (back now) takes it, the detail follows it to delivered.
    await page.click('#sales-webhooks-log-replay-one');
    await page.waitForFunction(() =>
      /will be emitted again/.test(document.querySelector('#sales-webhooks-log-message').textContent),
    );
    await waitFor(() => emitted(nodeRed.userDir).includes(`${carla.id} 2 true carla@example.com`));
    await page.waitForFunction(
      () =>
        document.querySelector('#sales-webhooks-log-detail .sales-webhooks-log-detail-head .sales-webhooks-log-state')
          .textContent === 'delivered',
      null,
      { timeout: 15000 },
    );
    await page.click('#sales-webhooks-log-back');
    // The CRM took a lead again: the account is ok.
    await page.waitForSelector('#sales-webhooks-log-crm-health li[data-account="acct"][data-state="ok"]');
    assert.doesNotMatch(await page.textContent(account), /Failing/);

    // Replay every failed delivery matching the filter: how many first, then confirmed.
    await page.waitForFunction(
      () => document.querySelectorAll('#sales-webhooks-log-list tr.sales-webhooks-log-row').length === 1,
    );
    await page.click('#sales-webhooks-log-replay-failed');
    await page.waitForSelector('#sales-webhooks-log-confirm');
    assert.match(
      await page.textContent('.red-ui-notification'),
      /1 failed delivery matches the filter; 1 can be replayed now/,
    );
    await page.click('#sales-webhooks-log-confirm');
    await waitFor(() => emitted(nodeRed.userDir).includes(`${fay.id} 2 true fay@example.com`));
    await page.waitForFunction(() =>
      /1 delivery will be emitted again/.test(document.querySelector('#sales-webhooks-log-message').textContent),
    );
    await page.waitForFunction(
      () => /No delivery matches the filter/.test(document.querySelector('#sales-webhooks-log-empty').textContent),
      null,
      { timeout: 15000 },
    );

    // Erase a person, after confirming.
    await page.selectOption('#sales-webhooks-log-state', '');
    await page.click('#sales-webhooks-log-erase');
    await page.fill('#sales-webhooks-log-erase-email', 'dana@example.com');
    await page.click('#sales-webhooks-log-erase-go');
    await page.waitForSelector('#sales-webhooks-log-confirm');
    assert.match(await page.textContent('.red-ui-notification'), /Erase everything held about dana@example\.com\?/);
    await page.click('#sales-webhooks-log-confirm');
    await page.waitForFunction(() =>
      /Erased 1 delivery that mentioned dana@example.com/.test(
        document.querySelector('#sales-webhooks-log-message').textContent,
      ),
    );
    await page.waitForFunction(
      () => document.querySelectorAll('#sales-webhooks-log-list tr.sales-webhooks-log-row').length === 3,
    );
    assert.doesNotMatch((await rowsText()).join('\n'), /dana/);
    assert.equal(emitted(nodeRed.userDir).length, 6, 'four deliveries and two replays, each emitted once');
    assert.deepEqual(pageErrors, []);
  });

  it("Node-RED's read-only user sees the log but is refused replay and erase with the permission named", async function () {
    const { page } = browser;
    await page.evaluate(() => localStorage.clear());
    await openAs('viewer');
    await page.waitForFunction(
      () => document.querySelectorAll('#sales-webhooks-log-list tr.sales-webhooks-log-row').length === 3,
    );
    await page.click('#sales-webhooks-log-list tr.sales-webhooks-log-row');
    await page.waitForSelector('#sales-webhooks-log-detail tr.sales-webhooks-log-attempt');
    assert.match(
      await page.textContent('#sales-webhooks-log-detail'),
      /Fay <img src=x onerror="window.__salesWebhooksLogXss=1">.*the CRM refused to upsert the contacts \(500: HubSpot answered <b>500<\/b>\)/s,
    );
    assert.equal(await page.evaluate(() => window.__salesWebhooksLogXss), undefined);
    await page.click('#sales-webhooks-log-replay-one');
    await page.waitForFunction(() =>
      /You need the sales-webhooks.write permission to replay/.test(
        document.querySelector('#sales-webhooks-log-message').textContent,
      ),
    );
    await page.click('#sales-webhooks-log-back');
    await page.click('#sales-webhooks-log-replay-failed');
    await page.waitForFunction(() =>
      /You need the sales-webhooks.write permission to replay/.test(
        document.querySelector('#sales-webhooks-log-message').textContent,
      ),
    );
    await page.click('#sales-webhooks-log-erase');
    await page.fill('#sales-webhooks-log-erase-email', 'ed@example.com');
    await page.click('#sales-webhooks-log-erase-go');
    await page.click('#sales-webhooks-log-confirm');
    await page.waitForFunction(() =>
      /You need the sales-webhooks.write permission to erase a person's data/.test(
        document.querySelector('#sales-webhooks-log-message').textContent,
      ),
    );
    assert.match(await message(), /Ask an administrator/);
    // The read-only user sees the CRM accounts' health (read covers sales-webhooks.read); a user without it does not.
    assert.equal(await page.isVisible('#sales-webhooks-log-crm-health li[data-account="acct"]'), true);
    const outsider = await fetch(`${nodeRed.url}/sales-webhooks/crm-health`, {
      headers: { accept: 'application/json', authorization: `Bearer ${await login(nodeRed.url, 'outsider')}` },
    });
    assert.equal(outsider.status, 403);
    assert.match((await outsider.json()).error, /You need the sales-webhooks.read permission/);
    const anonymous = await fetch(`${nodeRed.url}/sales-webhooks/crm-health`);
    assert.equal(anonymous.status, 401);
    await page.click('#sales-webhooks-log-refresh');
    await page.waitForFunction(
      () => document.querySelectorAll('#sales-webhooks-log-list tr.sales-webhooks-log-row').length === 3,
    );
    assert.match((await rowsText()).join('\n'), /ed@example\.com/, 'nothing was erased');
    assert.equal(emitted(nodeRed.userDir).length, 6, 'nothing was replayed');
    assert.deepEqual(pageErrors, []);
  });
});
