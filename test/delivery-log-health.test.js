'use strict';
// The log's health against a real Node-RED: GET /sales-webhooks/stats counts what was sent (signed posts the flow
// handled, forged ones refused) by state and time bucket, per platform on demand; in Chromium at 315 px the health
// panel shows those counts and the chart, and a delivery's detail its timeline.
const assert = require('node:assert/strict');
const { startNodeRed } = require('./support/real-node-red');
const os = require('node:os');
const path = require('node:path');
const { launchBrowser } = require('./support/browser');
const { logSettings, logFlow, postLead, deliveryInState } = require('./support/delivery-log');
const { brokenTexts, setSidebarWidth } = require('./support/sidebar-layout');

describe('the delivery log health: counts by state, chart, timeline', function () {
  this.timeout(120000);
  let nodeRed;
  let browser;

  after(async () => {
    await browser?.close();
    await nodeRed?.remove();
  });
  const stats = async (query) => {
    const res = await fetch(`${nodeRed.url}/sales-webhooks/stats?${new URLSearchParams(query)}`, {
      headers: { accept: 'application/json' },
    });
    return { status: res.status, body: await res.json() };
  };

  before(async () => {
    nodeRed = await startNodeRed({ settings: logSettings({ extra: 'telemetry: { enabled: false },' }) });
    await nodeRed.deploy(logFlow(nodeRed.userDir));
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      assert.equal((await postLead(nodeRed.url, email)).status, 200);
      await deliveryInState(nodeRed.url, email, 'handled');
    }
    for (let i = 0; i < 2; i++) {
      assert.equal((await postLead(nodeRed.url, `forged${i}@example.com`, 'F', { forged: true })).status, 401);
    }
    await deliveryInState(nodeRed.url, 'forged1@example.com', 'rejected');
  });

  it('counts what was sent by state, over the period and per platform', async () => {
    let hour;
    // The second refusal is logged without being awaited: wait until both are counted.
    for (let i = 0; i < 50; i++) {
      hour = await stats({ period: 'hour' });
      if (hour.body.totals?.rejected === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(hour.status, 200);
    assert.deepEqual(hour.body.totals, { handled: 3, rejected: 2 });
    assert.equal(hour.body.period, 'hour');
    assert.equal(hour.body.bucketMs, 5 * 60_000);
    assert.equal(hour.body.buckets.length, 12);
    const summed = {};
    for (const bucket of hour.body.buckets)
      for (const [state, n] of Object.entries(bucket)) summed[state] = (summed[state] ?? 0) + n;
    assert.deepEqual(summed, hour.body.totals);
    assert.ok(Object.keys(hour.body.buckets.at(-1)).length > 0, 'what just arrived is in the last bucket');
    assert.ok(hour.body.from + 12 * hour.body.bucketMs > Date.now());

    assert.deepEqual((await stats({ period: 'week', provider: 'salesmagic' })).body.totals, {
      handled: 3,
      rejected: 2,
    });
    assert.deepEqual((await stats({ period: 'day', provider: 'callcall' })).body.totals, {});
    assert.deepEqual((await stats({ node: 'nobody' })).body.totals, {});
    assert.equal((await stats({})).body.period, 'day');
    const bad = await stats({ period: 'year' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /Unknown period "year": use one of hour, day, week/);
  });

  it('shows the counts and the chart at 315 px, and the period changes them', async function () {
    browser = await launchBrowser(this);
    const { page } = browser;
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(nodeRed.url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.RED && RED.sidebar && RED.nodes && RED.nodes.node('in'), null, {
      timeout: 30000,
    });
    await page.waitForFunction(() => RED.sidebar.containsTab('sales-webhooks-log'), null, { timeout: 15000 });
    await page.evaluate(() => RED.sidebar.show('sales-webhooks-log'));
    await setSidebarWidth(page, 315);
    await page.waitForSelector('#sales-webhooks-log-chart rect');
    const counts = () =>
      page.$$eval('#sales-webhooks-log-counts .sales-webhooks-log-count', (list) =>
        Object.fromEntries(list.map((c) => [c.dataset.state, Number(c.querySelector('b').textContent)])),
      );
    assert.deepEqual(await counts(), { handled: 3, rejected: 2 });
    const bars = () =>
      page.$$eval('#sales-webhooks-log-chart rect', (rects) => {
        const sum = {};
        for (const r of rects) sum[r.dataset.outcome] = (sum[r.dataset.outcome] ?? 0) + Number(r.dataset.count);
        return sum;
      });
    assert.deepEqual(await bars(), { ok: 3, rejected: 2 });
    assert.equal(await page.locator('#sales-webhooks-log-chart g').count(), 24, 'a day: 24 hourly bars');
    await page.selectOption('#sales-webhooks-log-period', 'hour');
    await page.waitForFunction(() => document.querySelectorAll('#sales-webhooks-log-chart g').length === 12);
    assert.deepEqual(await bars(), { ok: 3, rejected: 2 });
    const chartBox = await page.$eval('#sales-webhooks-log-chart', (c) => c.getBoundingClientRect().width);
    assert.ok(chartBox > 250 && chartBox <= 315, String(chartBox));
    assert.deepEqual(await page.evaluate(brokenTexts, '#sales-webhooks-log-health'), []);
    await page.screenshot({
      path: path.join(os.tmpdir(), 'sales-webhooks-log-health-315.png'),
      clip: await page.evaluate(() => {
        const r = document.getElementById('red-ui-sidebar').getBoundingClientRect();
        return { x: r.left, y: r.top, width: r.width, height: Math.min(r.height, 700) };
      }),
    });
    assert.deepEqual(pageErrors, []);
  });
});
