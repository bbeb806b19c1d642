'use strict';
// The CRM dialogs in a real editor, in headless Chromium, against the loopback CRM emulator. The account dialog: the
// fields each way of signing in needs, and "Test connection" succeeding and then failing with a wrong secret. The
// crm out dialog: the account's own fields in the field map, a lead field that cannot fill its CRM field flagged,
// "Send test lead" previewed and sent. No secret ever reaches the browser or the log.
const assert = require('node:assert/strict');
const { startNodeRed } = require('./support/real-node-red');
const { launchBrowser, answerUpdateQuestion, evalAllNow } = require('./support/browser');
const { startCrmEmulator } = require('./support/crm-emulator');
const { logSettings, login } = require('./support/delivery-log');

const CLIENT_ID = 'hubspot-app-client-id-1f2e';
const CLIENT_SECRET = 'hubspot-client-secret-9c8b7a6d';
const REFRESH_TOKEN = 'na1-refresh-7f3a-9b2c-4d5e-6f708192a3b4';
// HubSpot's default rows and, last, a lead field that cannot fill its CRM field (text into a number).
const MAPPED_ROWS = [
  ...require('../dist/crm').DEFAULT_FIELD_MAPS.hubspot,
  { crmField: 'lead_score_webinar', leadField: 'company' },
];
const LAST_ROW = `#node-input-fieldMap-container li:nth-child(${MAPPED_ROWS.length})`;
/** Where to write screenshots of the dialogs, to look at them (SCREENSHOTS=/tmp/shots npx mocha …); none when unset. */
const SCREENSHOTS = process.env.SCREENSHOTS;
const CURRENT_API_VERSIONS = require('../dist/editorFacts').editorFacts().crm.defaultApiVersions;

describe('the CRM dialogs in the editor', function () {
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
        apiVersion: '',
        batchWindow: 50,
        rateLimit: 0,
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
      {
        id: 'mapped',
        type: 'sales-crm out',
        z: 'tab',
        x: 300,
        y: 200,
        name: 'mapped',
        account: 'acct',
        fieldMap: MAPPED_ROWS,
        externalIdField: '',
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
    await answerUpdateQuestion(page);
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
    // The API version left empty follows the CRM's current one, which the field names; Pipedrive has none to choose.
    await page.click('#sales-crm-account-advanced-toggle');
    const apiVersion = () => page.getAttribute('#node-config-input-apiVersion', 'placeholder');
    assert.equal(await apiVersion(), `current: ${CURRENT_API_VERSIONS.hubspot}`);
    await page.selectOption('#node-config-input-system', 'pipedrive');
    assert.equal(await visible('apiVersion'), false);
    await page.selectOption('#node-config-input-system', 'salesforce');
    assert.equal(await visible('apiVersion'), true);
    assert.equal(await apiVersion(), `current: ${CURRENT_API_VERSIONS.salesforce}`);
    await shoot('crm-account-salesforce');
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

  /** Opens a sales-crm out node's dialog and waits for the account's fields (or the reason there are none). */
  async function openOut(id) {
    const { page } = browser;
    await page.evaluate((nodeId) => RED.editor.edit(RED.nodes.node(nodeId)), id);
    await page.waitForSelector('#node-input-fieldMap-container .sales-crm-out-crm', { timeout: 15000 });
    await page.waitForFunction(
      () => !/Reading the fields/.test(document.querySelector('#sales-crm-out-fields-state').textContent),
      null,
      { timeout: 15000 },
    );
  }
  const fieldOptions = () =>
    evalAllNow(browser.page, '#sales-crm-out-crm-fields option', (options) =>
      Object.fromEntries(options.map((o) => [o.value, o.textContent])),
    );
  const shoot = (name) => SCREENSHOTS && browser.page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });

  it("offers the account's own fields in the field map, custom ones included and required ones marked", async function () {
    const { page } = browser;
    await openOut('out');
    const options = await fieldOptions();
    assert.match(options.email, /required/);
    assert.match(options.lead_score_webinar, /^Webinar score · number · custom$/);
    assert.ok(!/custom/.test(options.firstname), options.firstname);
    assert.match(await page.textContent('#sales-crm-out-fields-state'), /^HubSpot lists \d+ fields you can fill/);
    // A new node starts with the CRM's default rows, each described by the account.
    await page.waitForFunction(() => $('#node-input-fieldMap-container').editableList('items').length > 5);
    assert.match(
      await page.textContent('#node-input-fieldMap-container li:first-child .sales-crm-out-type'),
      /required/,
    );
    // The picker is a suggestion list: a name the account did not list can still be typed.
    await page.fill('#node-input-fieldMap-container li:nth-child(2) .sales-crm-out-crm', 'not_listed_yet');
    assert.equal(
      await page.inputValue('#node-input-fieldMap-container li:nth-child(2) .sales-crm-out-crm'),
      'not_listed_yet',
    );
    assert.equal(
      await page.textContent('#node-input-fieldMap-container li:nth-child(2) .sales-crm-out-type'),
      'not among the fields this account can fill',
    );
    await shoot('crm-out-fields');
    // A required field no row fills is named above the rows, with a button that adds it.
    assert.equal(await page.isVisible('#sales-crm-out-required'), false);
    await page.click('#node-input-fieldMap-container li:first-child .red-ui-editableList-item-remove');
    await page.waitForSelector('#sales-crm-out-required', { state: 'visible' });
    assert.match(await page.textContent('#sales-crm-out-required'), /^Required by the CRM and not mapped: email/);
    await page.click('#sales-crm-out-required a');
    await page.waitForSelector('#sales-crm-out-required', { state: 'hidden' });
    assert.equal(await page.inputValue('#node-input-fieldMap-container li:last-child .sales-crm-out-crm'), 'email');
    await page.click('#node-dialog-cancel');
  });

  it('opens the field map at its top, its columns readable at the default width', async function () {
    const { page } = browser;
    await openOut('mapped');
    const list = await page.evaluate(() => {
      const scroller = document
        .querySelector('#node-input-fieldMap-container')
        .closest('.red-ui-editableList-container');
      const first = document.querySelector('#node-input-fieldMap-container li:first-child');
      const inputs = [...document.querySelectorAll('#node-input-fieldMap-container input')];
      return {
        scrollTop: scroller.scrollTop,
        firstVisible: first.getBoundingClientRect().top >= scroller.getBoundingClientRect().top,
        // A value wider than its box is cut off ("emai", "strin").
        cut: inputs.filter((i) => i.scrollWidth > i.clientWidth).map((i) => i.value),
      };
    });
    assert.equal(list.scrollTop, 0);
    assert.equal(list.firstVisible, true);
    assert.deepEqual(list.cut, []);
    await page.click('#node-dialog-cancel');
  });

  it("flags a lead field whose type cannot fill its CRM field, in the dialog and in the node's validation", async function () {
    const { page } = browser;
    await openOut('mapped');
    const problem = `${LAST_ROW} .sales-crm-out-problem`;
    await page.waitForSelector(problem, { state: 'visible' });
    assert.equal(
      await page.textContent(problem),
      'the lead field company (string) cannot fill the CRM field lead_score_webinar, which takes number',
    );
    // A lead field that fits clears the flag.
    await page.fill(`${LAST_ROW} .sales-crm-out-lead`, 'score');
    await page.waitForSelector(problem, { state: 'hidden' });
    await page.fill(`${LAST_ROW} .sales-crm-out-lead`, 'tags');
    await page.waitForSelector(problem, { state: 'visible' });
    await page.click('#node-dialog-ok');
    // Deploy would show the node's red triangle with the reason, before any lead is sent.
    const validation = await page.evaluate(() => {
      const node = RED.nodes.node('mapped');
      return { valid: node.valid, errors: node.validationErrors };
    });
    assert.equal(validation.valid, false);
    assert.match(
      validation.errors.join(' '),
      /the lead field tags \(list\) cannot fill the CRM field lead_score_webinar/,
    );
  });

  it('Send test lead shows the exact request with its secrets redacted, then sends it and shows the CRM answer', async function () {
    const { page } = browser;
    await openOut('out');
    await page.waitForFunction(() => $('#node-input-fieldMap-container').editableList('items').length > 5);
    const before = emulator.requests.length;
    await page.click('#sales-crm-out-test');
    await page.waitForSelector('#sales-crm-out-test-requests pre', { timeout: 15000 });
    const preview = await page.textContent('#sales-crm-out-test-requests pre');
    const [requestLine, ...rest] = preview.split('\n');
    assert.match(requestLine, new RegExp(`^POST ${emulator.url}/crm/`));
    assert.match(preview, /^authorization: Bearer \[redacted\]$/m);
    assert.match(preview, /"email": "test\.lead@example\.com"/);
    // Previewing sent nothing to the CRM.
    assert.equal(emulator.requests.slice(before).filter((r) => r.method !== 'GET').length, 0);
    assert.equal(await page.isVisible('#sales-crm-out-test-send'), true);
    await shoot('crm-out-test-lead-preview');

    await page.click('#sales-crm-out-test-send');
    await page.waitForFunction(
      () => /^[✔✘]/.test(document.querySelector('#sales-crm-out-test-message').textContent),
      null,
      { timeout: 15000 },
    );
    assert.match(
      await page.textContent('#sales-crm-out-test-message'),
      /^✔ The CRM took the test lead: created, record \d+$/,
    );
    const sent = emulator.requests.slice(before).filter((r) => r.method !== 'GET');
    assert.equal(sent.length, 1);
    // What the preview showed is what reached the CRM, byte for byte of its JSON.
    const shownBody = JSON.parse(rest.slice(rest.indexOf('') + 1).join('\n'));
    assert.deepEqual(sent[0].body, shownBody);
    assert.equal(`${emulator.url}${sent[0].path}`, requestLine.replace(/^POST /, '').split('?')[0]);
    assert.match(await page.textContent('#sales-crm-out-test-answers'), /^The CRM answered 20\d:/);
    assert.match(await page.textContent('#sales-crm-out-test-answers pre'), /test\.lead@example\.com/);
    await shoot('crm-out-test-lead-sent');
    await page.click('#node-dialog-cancel');

    const accessTokens = emulator.requests
      .map((r) => /^Bearer (.+)$/.exec(r.headers.authorization ?? '')?.[1])
      .filter(Boolean);
    assert.ok(accessTokens.length > 0);
    const everything = seenByBrowser.join('\n') + (await page.content()) + nodeRed.logs();
    for (const secret of [CLIENT_SECRET, REFRESH_TOKEN, ...accessTokens])
      assert.ok(!everything.includes(secret), `a secret reached the browser or the log (${secret.slice(0, 4)}…)`);
  });

  it("says why there is no field list: the CRM's refusal in words, or an account to deploy first", async function () {
    const { page } = browser;
    emulator.fault({
      status: 403,
      times: 1,
      match: /\/properties\//,
      body: {
        status: 'error',
        message: "This app hasn't been granted all required scopes to make this call.",
        category: 'MISSING_SCOPES',
      },
    });
    await openOut('out');
    assert.match(
      await page.textContent('#sales-crm-out-fields-state'),
      /The CRM did not list its fields \(.*hasn't been granted all required scopes.*\)\. You can still type the field names\./,
    );
    await page.click('#node-dialog-cancel');

    // An account added in this editor: the runtime does not know it yet.
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0);
    await openOut('out');
    await page.evaluate(() => $('#node-input-btn-account-add').trigger('click'));
    await page.waitForSelector('#node-config-input-system', { state: 'visible', timeout: 15000 });
    await page.click('#node-config-dialog-ok');
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 1);
    await page.waitForFunction(() => /Deploy the account/.test($('#sales-crm-out-fields-state').text()));
    assert.notEqual(await page.inputValue('#node-input-account'), 'acct');
    await page.click('#node-dialog-cancel');
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0);

    // An account edited since the deploy: the runtime would answer for the old one.
    await page.evaluate(() => RED.editor.editConfig('', 'sales-crm-account', 'acct'));
    await page.waitForSelector('#node-config-input-name', { state: 'visible', timeout: 15000 });
    await page.fill('#node-config-input-name', 'HubSpot OAuth (renamed)');
    await page.click('#node-config-dialog-ok');
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0);
    await openOut('out');
    assert.match(
      await page.textContent('#sales-crm-out-fields-state'),
      /Deploy the account "HubSpot OAuth \(renamed\)" first/,
    );
    await page.click('#sales-crm-out-test');
    assert.match(await page.textContent('#sales-crm-out-test-message'), /Deploy the account/);
    await page.click('#node-dialog-cancel');
  });
});

// The same routes without a browser, for every CRM, with adminAuth on: what the dialog is answered, and who may send.
describe("the CRM dialogs' admin routes", function () {
  this.timeout(60000);
  const TOKEN = 'tok-4f1e9a7c2b5d-secret';
  let nodeRed;
  let emulator;
  let tokens;
  // Not named as the system: Node-RED takes any property naming a config node's id for a reference to it.
  const account = (system, extra) => ({
    id: `${system}-account`,
    type: 'sales-crm-account',
    name: system,
    system,
    baseUrl: emulator.url,
    maxAttempts: 1,
    ...extra,
  });
  before(async function () {
    emulator = await startCrmEmulator({ token: TOKEN });
    nodeRed = await startNodeRed({ settings: logSettings({ auth: true }) });
    tokens = { admin: await login(nodeRed.url, 'admin'), viewer: await login(nodeRed.url, 'viewer') };
    await nodeRed.deploy(
      [
        account('hubspot', { auth: 'token', credentials: { token: TOKEN } }),
        account('salesforce', {
          auth: 'token',
          credentials: { token: TOKEN, instanceUrl: emulator.url },
        }),
        account('pipedrive', { auth: 'token', credentials: { token: TOKEN } }),
        account('zoho', {
          auth: 'refresh-token',
          loginUrl: emulator.url,
          credentials: {
            clientId: emulator.oauth.clientId,
            clientSecret: emulator.oauth.clientSecret,
            refreshToken: emulator.oauth.refreshTokens[0],
          },
        }),
      ],
      { token: tokens.admin },
    );
  });
  after(async () => {
    await nodeRed?.remove();
    await emulator?.close();
  });

  const admin = async (method, path, { as = 'admin', body } = {}) => {
    const res = await fetch(`${nodeRed.url}/${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[as]}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const text = await res.text();
    for (const secret of [TOKEN, emulator.oauth.clientSecret, emulator.oauth.refreshTokens[0]])
      assert.ok(!text.includes(secret), `a secret in the answer to ${method} ${path}`);
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  it("lists each CRM's own fields through the account, custom and required ones marked, with their types", async function () {
    const expected = {
      hubspot: { custom: 'lead_score_webinar', required: 'email' },
      salesforce: { custom: 'Webinar_Score__c', required: 'Region__c' },
      pipedrive: { custom: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', required: 'name' },
      zoho: { custom: 'Webinar_Score', required: 'Last_Name' },
    };
    for (const [system, { custom, required }] of Object.entries(expected)) {
      const { status, body } = await admin('GET', `sales-crm-account/${system}-account/fields`, { as: 'viewer' });
      assert.equal(status, 200, `${system}: ${JSON.stringify(body)}`);
      const byName = Object.fromEntries(body.fields.map((f) => [f.name, f]));
      assert.equal(byName[custom]?.custom, true, `${system} ${custom}`);
      assert.equal(byName[required]?.required, true, `${system} ${required}`);
      for (const field of body.fields) assert.ok(field.type && field.accepts && field.label, JSON.stringify(field));
    }
    const missing = await admin('GET', 'sales-crm-account/nope/fields');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error, /^Deploy the account first/);
  });

  it('previews the test lead for a reader and sends it only for a writer, with a token in the query redacted', async function () {
    const request = {
      account: 'pipedrive-account',
      fieldMap: [
        { crmField: 'name', leadField: 'fullName' },
        { crmField: 'email', leadField: 'email' },
      ],
    };
    const preview = await admin('POST', 'sales-crm-out/new-node/test-lead', { as: 'viewer', body: request });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.equal(preview.body.sent, false);
    assert.ok(preview.body.requests.length > 0);
    for (const shown of preview.body.requests) {
      assert.ok(shown.url.startsWith(`${emulator.url}/api/`), shown.url);
      assert.match(shown.url, /[?&]api_token=\[redacted\]/);
    }
    const refused = await admin('POST', 'sales-crm-out/new-node/test-lead', {
      as: 'viewer',
      body: { ...request, send: true },
    });
    // Node-RED answers a permission the user lacks with 401; the same token just previewed.
    assert.equal(refused.status, 401);
    assert.equal(emulator.pipedrive.persons.size, 0);

    const sent = await admin('POST', 'sales-crm-out/new-node/test-lead', { body: { ...request, send: true } });
    assert.equal(sent.body.ok, true, JSON.stringify(sent.body));
    assert.equal(sent.body.answers.length, sent.body.requests.length);
    assert.deepEqual(
      [...emulator.pipedrive.persons.values()].map((p) => p.name),
      ['Test Lead'],
    );
  });
});
