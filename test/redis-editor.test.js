'use strict';
// The Redis store in a real Node-RED and its editor (headless Chromium): the dialog's fields, the password never sent
// back, the webhook node's Shared store choice, and what a user sees when Redis cannot keep the promise or refuses
// the password.
const assert = require('node:assert/strict');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { launchBrowser, answerUpdateQuestion, evalAllNow } = require('./support/browser');
const { startRedisServer } = require('./support/redis-server');

const PASSWORD = 'redis-editor-secret-91f';

describe('the Redis store in the editor and at deploy', function () {
  this.timeout(90000);
  let nodeRed;
  let browser;
  let lax;
  let locked;
  before(async function () {
    // A server that writes its disk file only every second, and one that wants a password.
    lax = await startRedisServer(this, { appendfsync: 'everysec' });
    locked = await startRedisServer(this, { args: ['--requirepass', PASSWORD] });
    nodeRed = await startNodeRed({ settings: 'module.exports = { editorTheme: { tours: false } };' });
    await nodeRed.deploy([
      { id: 'tab', type: 'tab', label: 'leads' },
      { id: 'lax', type: 'sales-webhook-redis', name: 'lax redis', url: lax.url, prefix: 'ed', tls: false },
      {
        id: 'locked',
        type: 'sales-webhook-redis',
        name: 'locked redis',
        url: locked.url,
        prefix: 'ed',
        tls: false,
        credentials: { username: '', password: 'not-the-password-5d1' },
      },
      {
        id: 'src',
        type: 'sales-webhook-source',
        provider: 'saleassist',
        headerName: 'x-webhook-token',
        tolerance: 300,
        credentials: { token: 'editor-test-token-7f3a' },
      },
      {
        id: 'in',
        type: 'sales-webhook in',
        z: 'tab',
        x: 140,
        y: 100,
        url: '/webhooks/a',
        source: 'src',
        maxBytes: 1048576,
        dedupe: true,
        dedupeHours: 24,
        inbox: true,
        store: 'lax',
        version: 1,
        wires: [[], []],
      },
      {
        id: 'in2',
        type: 'sales-webhook in',
        z: 'tab',
        x: 140,
        y: 180,
        url: '/webhooks/b',
        source: 'src',
        maxBytes: 1048576,
        dedupe: true,
        dedupeHours: 24,
        inbox: true,
        store: 'locked',
        version: 1,
        wires: [[], []],
      },
    ]);
    browser = await launchBrowser(this);
    const { page } = browser;
    await answerUpdateQuestion(page);
    await page.goto(nodeRed.url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('in'), null, { timeout: 30000 });
  });
  after(async () => {
    await browser?.close();
    await nodeRed?.remove();
    await lax?.remove();
    await locked?.remove();
  });

  it('says at deploy and in the status when Redis cannot keep the promise, and names a refused password without it', async () => {
    await waitFor(
      () => /only every second/.test(nodeRed.logs()) && /refused the user name or password/.test(nodeRed.logs()),
      15000,
    );
    assert.doesNotMatch(nodeRed.logs(), /not-the-password-5d1|redis-editor-secret-91f/);
    const { page } = browser;
    await page.waitForFunction(
      () => /Redis may lose acknowledged deliveries/.test(RED.nodes.node('in').status?.text ?? ''),
      null,
      { timeout: 15000 },
    );
    assert.equal(await page.evaluate(() => RED.nodes.node('in').status.fill), 'yellow');
    await page.waitForFunction(
      () => /refused the user name or password/.test(RED.nodes.node('in2').status?.text ?? ''),
      null,
      { timeout: 15000 },
    );
    assert.equal(await page.evaluate(() => RED.nodes.node('in2').status.fill), 'red');
    // A delivery to the node whose store refuses it is a 503: the platform retries.
    const res = await fetch(`${nodeRed.url}/webhooks/b`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-token': 'editor-test-token-7f3a' },
      body: '{"event_type":"widget_new_conversation","payload":{}}',
    });
    assert.equal(res.status, 503);
  });

  it('the webhook dialog offers the Redis stores as Shared store; the store dialog never shows the password', async () => {
    const { page } = browser;
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('in')));
    await page.waitForSelector('#node-input-store', { state: 'attached', timeout: 15000 });
    const options = await evalAllNow(page, '#node-input-store option', (os) => os.map((o) => o.textContent));
    assert.ok(options.includes('lax redis') && options.includes('locked redis'), JSON.stringify(options));
    assert.equal(await page.inputValue('#node-input-store'), 'lax');
    assert.equal(await page.isVisible('#node-input-dedupeHours'), true);
    assert.equal(
      await page.isVisible('#node-input-dedupeLimit'),
      false,
      'a Redis inbox keeps every key for the window',
    );
    await page.evaluate(() => {
      while (RED.editor.isOpen && RED.editor.isOpen()) RED.tray.close();
    });

    await page.evaluate(() => RED.editor.editConfig('', 'sales-webhook-redis', 'locked'));
    await page.waitForSelector('#node-config-input-url', { timeout: 15000 });
    assert.equal(await page.inputValue('#node-config-input-url'), locked.url);
    assert.notEqual(await page.inputValue('#node-config-input-password'), 'not-the-password-5d1');
    const html = await page.content();
    assert.doesNotMatch(html, /not-the-password-5d1/);
    // Credentials in the URL are refused by the dialog: they belong in the credential fields.
    await page.fill('#node-config-input-url', 'redis://user:pw@127.0.0.1:6379');
    await page.locator('#node-config-input-url').blur();
    await page.waitForFunction(() =>
      document.querySelector('#node-config-input-url').classList.contains('input-error'),
    );
    await page.evaluate(() => {
      while (RED.editor.isOpen && RED.editor.isOpen()) RED.tray.close();
    });
  });
});
