'use strict';
// npm start's demo, the sales-webhooks command and the dialog's "Send test event" endpoint, in a real Node-RED.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startDemo } = require('../scripts/start');
const { waitFor } = require('./support/real-node-red');
const { onFreePort } = require('./support/free-port');
const { launchBrowser, requireBrowser } = require('./support/browser');

const cli = (args, env = {}) =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(__dirname, '..', 'bin', 'sales-webhooks.js'), ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
const readLeads = (file) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

describe('the demo (npm start) and the test-event sender', function () {
  this.timeout(60000);
  let demo;
  before(async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sales-webhooks-demo-'));
    demo = await onFreePort((port) => startDemo({ port, userDir, log: null }));
  });
  after(async () => {
    await demo?.stop();
    if (demo) fs.rmSync(demo.userDir, { recursive: true, force: true });
  });

  it('serves the editor with the demo flow deployed: one receiver per platform', async function () {
    assert.equal((await fetch(demo.url)).status, 200);
    const flows = await (await fetch(`${demo.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })).json();
    const receivers = flows
      .filter((n) => n.type === 'sales-webhook in')
      .map((n) => n.url)
      .sort();
    assert.deepEqual(receivers, [
      '/webhooks/callcall',
      '/webhooks/recorder',
      '/webhooks/saleassist',
      '/webhooks/salescaling',
      '/webhooks/salesmagic',
    ]);
    assert.ok(flows.filter((n) => n.type === 'sales-lead-map').every((n) => n.preset !== 'custom'));
    assert.ok(
      !JSON.stringify(flows).includes('dev-saleassist-token'),
      'credentials never come back from the admin API',
    );
    assert.doesNotMatch(demo.logs(), /\[error\]/);
  });

  it('opens clean: the editor is told not to ask about update notifications and not to start the welcome tour', async function () {
    const settings = await (await fetch(`${demo.url}/settings`)).json();
    // The editor asks about notifications while telemetryEnabled is undefined, and tours unless editorTheme.tours is false.
    assert.equal(settings.telemetryEnabled, false);
    assert.equal(settings.editorTheme.tours, false);
  });

  it('in the browser, the editor shows the flow: no update-notification question, no welcome tour', async function () {
    requireBrowser(this);
    const browser = await launchBrowser(this);
    try {
      const { page } = browser;
      await page.goto(demo.url, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('demo-map-saleassist'), null, {
        timeout: 30000,
      });
      await page.waitForSelector('#red-ui-workspace-chart .red-ui-flow-node-group');
      // Both appear right after the flows load when enabled; give them time to, then look.
      await page.waitForTimeout(2000);
      assert.equal(await page.getByText('No, do not enable notifications').count(), 0, 'update-notification question');
      assert.equal(await page.locator('.red-ui-tourGuide-popover, .red-ui-tourGuide-shade').count(), 0, 'welcome tour');
    } finally {
      await browser.close();
    }
  });

  it('`sales-webhooks send saleassist` makes the lead appear in the lead store', async function () {
    const result = await cli(['send', 'saleassist', '--url', `${demo.url}/webhooks/saleassist`]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /200 \{"received":true\}/);
    await waitFor(() => readLeads(demo.leadsFile).some((l) => l.email === 'prakashm@athenabpo.in'));
    const lead = readLeads(demo.leadsFile).find((l) => l.email === 'prakashm@athenabpo.in');
    assert.equal(lead.source.provider, 'saleassist');
  });

  it("every platform's default test event is accepted; SalesMagic's call becomes two leads", async function () {
    for (const provider of ['salesmagic', 'callcall', 'salescaling', 'recorder']) {
      const result = await cli(['send', provider, '--url', `${demo.url}/webhooks/${provider}`]);
      assert.equal(result.code, 0, `${provider}: ${result.stdout}${result.stderr}`);
    }
    await waitFor(() => readLeads(demo.leadsFile).filter((l) => l.source.provider === 'salesmagic').length === 2);
  });

  it('without --url posts where PORT and HOST say, as npm start listens', async function () {
    const result = await cli(['send', 'saleassist'], { PORT: String(demo.port), HOST: '127.0.0.1' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`→ http://127\\.0\\.0\\.1:${demo.port}/webhooks/saleassist\n200`));
    const wildcard = await cli(['send', 'saleassist', '--same'], { PORT: String(demo.port), HOST: '0.0.0.0' });
    assert.match(wildcard.stdout, new RegExp(`→ http://127\\.0\\.0\\.1:${demo.port}/webhooks/saleassist\n200`));
  });

  it('--same sends the example byte for byte, so a second send is acknowledged as a duplicate', async function () {
    const url = `${demo.url}/webhooks/recorder`;
    assert.match(
      (await cli(['send', 'recorder', 'signal.detected', '--same', '--url', url])).stdout,
      /200 \{"received":true\}/,
    );
    assert.match(
      (await cli(['send', 'recorder', 'signal.detected', '--same', '--url', url])).stdout,
      /"duplicate":true/,
    );
  });

  it('--tamper sends a forged copy and reports the 401', async function () {
    const result = await cli(['send', 'callcall', '--tamper', '--url', `${demo.url}/webhooks/callcall`]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /401/);
    const token = await cli(['send', 'saleassist', '--tamper', '--url', `${demo.url}/webhooks/saleassist`]);
    assert.match(token.stdout, /401/);
  });

  it('a wrong secret is a 401 and the command says what to fix', async function () {
    const result = await cli([
      'send',
      'salesmagic',
      '--secret',
      'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==',
      '--url',
      `${demo.url}/webhooks/salesmagic`,
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /SALESMAGIC_SECRET/);
    assert.equal((await cli(['send', 'nosuch'])).code, 2);
  });

  it("the dialog's Send test event posts a signed example to the deployed node and shows the answer", async function () {
    const post = (body) =>
      fetch(`${demo.url}/sales-webhook-in/demo-in-callcall/send-test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await (await post({ eventType: 'customer.qualified' })).json();
    assert.equal(ok.status, 200, JSON.stringify(ok));
    assert.equal(ok.body, '{"received":true}');
    const forged = await (await post({ eventType: 'customer.qualified', tamper: true })).json();
    assert.equal(forged.status, 401);
    const missing = await fetch(`${demo.url}/sales-webhook-in/not-deployed/send-test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(missing.status, 404);
    assert.match((await missing.json()).error, /Deploy this node first/);
    assert.ok(!JSON.stringify(ok).includes('dev-callcall-secret'));
  });
});
