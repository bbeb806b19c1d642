'use strict';
// The CRM account dialog in a real editor, in headless Chromium: the fields each way of signing in needs, and
// "Test connection" against the loopback CRM emulator, succeeding and then failing with a wrong secret, without a
// secret ever reaching the browser or the log.
const assert = require('node:assert/strict');
const { startNodeRed } = require('./support/real-node-red');
const { launchBrowser } = require('./support/browser');
const { startCrmEmulator } = require('./support/crm-emulator');

const CLIENT_ID = 'hubspot-app-client-id-1f2e';
const CLIENT_SECRET = 'hubspot-client-secret-9c8b7a6d';
const REFRESH_TOKEN = 'na1-refresh-7f3a-9b2c-4d5e-6f708192a3b4';

describe('the CRM account dialog in the editor', function () {
  this.timeout(90000);
  let nodeRed;
  let browser;
  let emulator;
  const seenByBrowser = [];
  const pageErrors = [];
  before(async function () {
    emulator = await startCrmEmulator({
      oauth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshTokens: [REFRESH_TOKEN] },
    });
    nodeRed = await startNodeRed({ settings: 'module.exports = { editorTheme: { tours: false } };' });
    await nodeRed.deploy([
      { id: 'tab', type: 'tab', label: 'crm' },
      {
        id: 'acct',
        type: 'sales-crm-account',
        name: 'HubSpot OAuth',
        system: 'hubspot',
        auth: 'refresh-token',
        baseUrl: emulator.url,
        loginUrl: emulator.url,
        dataCenter: 'com',
        apiVersion: 'v60.0',
        maxAttempts: 3,
        minDelay: 100,
        maxDelay: 1000,
        timeout: 5000,
        concurrency: 2,
        credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN },
      },
      {
        id: 'out',
        type: 'sales-crm out',
        z: 'tab',
        x: 300,
        y: 100,
        account: 'acct',
        fieldMap: [],
        externalIdField: 'Email',
        method: 'POST',
        url: '',
        version: 1,
        wires: [[], []],
      },
    ]);
    browser = await launchBrowser(this);
    const { page } = browser;
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Everything the runtime sends the browser as data (not the editor's own scripts) is kept to look for secrets.
    page.on('response', async (res) => {
      if (/\/(credentials|flows|sales-crm|sales-crm-account)\b/.test(res.url()))
        seenByBrowser.push(await res.text().catch(() => ''));
    });
    await page.addLocatorHandler(page.getByText('No, do not enable notifications'), (button) => button.click());
    await page.goto(nodeRed.url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('acct'), null, { timeout: 30000 });
  });
  afterEach(async () => {
    await browser.page.evaluate(() => {
      while (RED.editor.isOpen && RED.editor.isOpen()) RED.tray.close();
    });
    await browser.page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0, null, {
      timeout: 10000,
    });
    assert.deepEqual(pageErrors, []);
  });
  after(async () => {
    await browser?.close();
    await nodeRed?.remove();
    await emulator?.close();
  });

  const visible = (field) => browser.page.isVisible(`#sales-crm-account-row-${field}`);

  it('shows the fields each way of signing in needs', async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.editConfig('', 'sales-crm-account', 'acct'));
    await page.waitForSelector('#node-config-input-auth option[value="refresh-token"]', {
      state: 'attached',
      timeout: 15000,
    });
    assert.equal(await page.inputValue('#node-config-input-auth'), 'refresh-token');
    assert.equal(await visible('clientSecret'), true);
    assert.equal(await visible('refreshToken'), true);
    assert.equal(await visible('token'), false);
    assert.equal(await visible('dataCenter'), false);
    await page.selectOption('#node-config-input-system', 'salesforce');
    await page.waitForSelector('#node-config-input-auth option[value="jwt"]', { state: 'attached' });
    await page.selectOption('#node-config-input-auth', 'jwt');
    assert.equal(await visible('privateKey'), true);
    assert.equal(await visible('username'), true);
    assert.equal(await visible('clientSecret'), false);
    await page.selectOption('#node-config-input-system', 'zoho');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('#node-config-input-auth option')].map((o) => o.value).join() === 'refresh-token',
    );
    assert.equal(await visible('dataCenter'), true);
    await page.selectOption('#node-config-input-dataCenter', 'in');
    assert.equal(await page.getAttribute('#node-config-input-loginUrl', 'placeholder'), 'https://accounts.zoho.in');
    await page.click('#node-config-dialog-cancel');
  });

  it("Test connection: connected with the stored secret, then the CRM's reason for a wrong one; no secret reaches the browser or the log", async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.editConfig('', 'sales-crm-account', 'acct'));
    await page.waitForSelector('#node-config-input-auth option[value="refresh-token"]', {
      state: 'attached',
      timeout: 15000,
    });
    // The stored secret stays in the runtime: the field holds Node-RED's placeholder.
    assert.notEqual(await page.inputValue('#node-config-input-clientSecret'), CLIENT_SECRET);
    await page.waitForSelector('#sales-crm-account-test', { state: 'visible' });
    await page.click('#sales-crm-account-test');
    await page.waitForFunction(
      () => /^✔/.test(document.querySelector('#sales-crm-account-test-result').textContent),
      null,
      { timeout: 15000 },
    );
    assert.equal(
      await page.textContent('#sales-crm-account-test-result'),
      '✔ connected as HubSpot account 4242 (app.hubspot.com)',
    );
    assert.deepEqual(
      emulator.tokenRequests.map((t) => t.grantType),
      ['refresh_token'],
    );

    // Pointed at another server, the dialog cannot borrow the stored secret: it must be typed again.
    const { createServer } = require('node:http');
    const fishing = [];
    const elsewhere = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => {
        b += c;
      });
      req.on('end', () => {
        fishing.push(b);
        res.end('{}');
      });
    });
    await new Promise((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    await page.fill('#node-config-input-loginUrl', `http://127.0.0.1:${elsewhere.address().port}`);
    await page.click('#sales-crm-account-test');
    await page.waitForFunction(
      () => /^✘/.test(document.querySelector('#sales-crm-account-test-result').textContent),
      null,
      { timeout: 15000 },
    );
    assert.match(
      await page.textContent('#sales-crm-account-test-result'),
      /only sent to the servers the deployed account uses/,
    );
    await new Promise((resolve) => elsewhere.close(resolve));
    assert.deepEqual(fishing, []);
    await page.fill('#node-config-input-loginUrl', emulator.url);

    await page.fill('#node-config-input-clientSecret', 'a-wrong-secret-0000');
    await page.click('#sales-crm-account-test');
    await page.waitForFunction(
      () => /^✘/.test(document.querySelector('#sales-crm-account-test-result').textContent),
      null,
      { timeout: 15000 },
    );
    const failure = await page.textContent('#sales-crm-account-test-result');
    assert.match(failure, /refused this account's credentials \(invalid client credentials\)/);
    assert.ok(!failure.includes('a-wrong-secret-0000'));
    await page.click('#node-config-dialog-cancel');

    const everything = seenByBrowser.join('\n') + (await page.content()) + nodeRed.logs();
    for (const secret of [CLIENT_SECRET, REFRESH_TOKEN, 'a-wrong-secret-0000'])
      assert.ok(!everything.includes(secret), `a secret reached the browser or the log (${secret.slice(0, 4)}…)`);
    // The button's test did not disturb the deployed account: its secret was not replaced.
    assert.equal(emulator.tokenRequests.length, 2);
  });
});
