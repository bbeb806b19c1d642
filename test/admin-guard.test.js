'use strict';
// Without adminAuth, Node-RED answers admin requests with Access-Control-Allow-Origin: * and parses form bodies: in a
// real Node-RED with default settings, a page on another site must not erase, replay or read through the package's
// admin API, while the editor's own (same-origin, JSON) requests and tools without a browser keep working.
const assert = require('node:assert/strict');
const http = require('node:http');
const { nodeRedVersion, startNodeRed } = require('./support/real-node-red');
const { logFlow, postLead, deliveryInState } = require('./support/delivery-log');
const { launchBrowser, requireBrowser } = require('./support/browser');

const PERSON = 'ada.cross@example.com';

describe('the admin API refuses cross-site requests (real Node-RED, no adminAuth)', function () {
  this.timeout(90000);
  let nodeRed;
  let attacker;
  let browser;
  before(async function () {
    requireBrowser(this);
    nodeRed = await startNodeRed();
    await nodeRed.deploy(logFlow(nodeRed.userDir));
    assert.equal((await postLead(nodeRed.url, PERSON, 'Ada Cross')).status, 200);
    await deliveryInState(nodeRed.url, PERSON, 'handled');
    // Another site: the same machine under another name (localhost is not 127.0.0.1 to a browser).
    attacker = http.createServer((req, res) => {
      const [, action] = /^\/(erase|replay|read)/.exec(req.url) ?? [];
      res.setHeader('content-type', 'text/html');
      if (action === 'read') {
        // A script reading the delivery log: Node-RED's CORS answer would let it, the guard must not.
        res.end(`<script>fetch(${JSON.stringify(`${nodeRed.url}/sales-webhooks/deliveries`)})
          .then(r => r.text()).then(t => { document.title = 'read:' + t; }, e => { document.title = 'failed'; });</script>`);
        return;
      }
      const field =
        action === 'erase' ? `<input name="email" value="${PERSON}">` : '<input name="state" value="handled">';
      res.end(`<form method="post" action="${nodeRed.url}/sales-webhooks/${action}">${field}</form>
        <script>document.forms[0].submit()</script>`);
    });
    await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    browser = await launchBrowser(this);
  });
  after(async () => {
    await browser?.close();
    attacker?.close();
    await nodeRed?.remove();
  });
  const attackerPage = (action) => `http://localhost:${attacker.address().port}/${action}`;

  it("another site's script cannot read the delivery log", async function () {
    await browser.page.goto(attackerPage('read'));
    await browser.page.waitForFunction(() => document.title !== '');
    const title = await browser.page.title();
    // Node-RED 3.1 and 4 answer every admin request with Access-Control-Allow-Origin: *, so the guard must refuse it;
    // Node-RED 5 no longer sends that header, so the browser itself keeps the answer from the script.
    if (nodeRedVersion.startsWith('5.')) assert.match(title, /^(read:|failed$)/);
    else assert.match(title, /^read:/, 'the request was answered');
    assert.doesNotMatch(title, /ada\.cross/);
  });

  it('a form posted from another site erases nothing and replays nothing', async function () {
    for (const action of ['erase', 'replay']) {
      const answer = browser.page.waitForResponse((r) => r.url().endsWith(`/sales-webhooks/${action}`));
      await browser.page.goto(attackerPage(action));
      const response = await answer;
      assert.equal(response.status(), 403, action);
      assert.match((await response.json()).error, /another web site/);
    }
    const kept = await deliveryInState(nodeRed.url, PERSON, 'handled');
    assert.equal(kept.attempt, 1, 'not replayed');
  });

  it('refuses a browser without Sec-Fetch-Site by its Origin, and form bodies from anywhere', async function () {
    const post = (headers, body) =>
      fetch(`${nodeRed.url}/sales-webhooks/erase`, { method: 'POST', headers, body }).then((r) => r.status);
    const form = `email=${encodeURIComponent(PERSON)}`;
    const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };
    assert.equal(await post({ ...urlencoded, origin: 'https://evil.example' }, form), 403);
    assert.equal(
      await post({ 'content-type': 'application/json', origin: 'null' }, JSON.stringify({ email: PERSON })),
      403,
    );
    assert.equal(await post(urlencoded, form), 415, 'a form body with no Origin at all');
    assert.equal(await post({ 'content-type': 'text/plain' }, JSON.stringify({ email: PERSON })), 415);
    await deliveryInState(nodeRed.url, PERSON, 'handled');
  });

  it("passes the editor's own JSON requests, and tools that are no browser", async function () {
    const own = new URL(nodeRed.url).origin;
    const dryRun = await fetch(`${nodeRed.url}/sales-webhooks/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: own, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ state: 'handled', dryRun: true }),
    });
    assert.equal(dryRun.status, 200);
    assert.equal((await dryRun.json()).matching, 1);
    // The editor's sidebar, in the same browser: same origin, so the guard lets it erase.
    await browser.page.goto(`${nodeRed.url}/`);
    const erased = await browser.page.evaluate(async (email) => {
      const res = await fetch('sales-webhooks/erase', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      return res.json();
    }, PERSON);
    assert.deepEqual(erased, { erased: 1 });
  });
});
