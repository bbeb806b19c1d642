'use strict';
// The log's health against a real Node-RED: GET /sales-webhooks/stats counts what was sent (signed posts the flow
// handled, forged ones refused) by state and time bucket, per platform on demand; in Chromium at 315 px the health
// panel shows those counts and the chart, and a delivery's detail its timeline with each CRM request and its answer.
const assert = require('node:assert/strict');
const { startNodeRed } = require('./support/real-node-red');
const os = require('node:os');
const path = require('node:path');
const { launchBrowser, evalNow, evalAllNow } = require('./support/browser');
const { logSettings, logFlow, postLead, deliveryInState } = require('./support/delivery-log');
const { brokenTexts, setSidebarWidth } = require('./support/sidebar-layout');
const { startCrmEmulator } = require('./support/crm-emulator');

describe('the delivery log health: counts by state, chart, timeline', function () {
  this.timeout(120000);
  let nodeRed;
  let browser;
  let emulator;
  let failed;

  after(async () => {
    await browser?.close();
    await nodeRed?.remove();
    await emulator?.close();
  });
  const stats = async (query) => {
    const res = await fetch(`${nodeRed.url}/sales-webhooks/stats?${new URLSearchParams(query)}`, {
      headers: { accept: 'application/json' },
    });
    return { status: res.status, body: await res.json() };
  };

  before(async () => {
    nodeRed = await startNodeRed({ settings: logSettings({ extra: 'telemetry: { enabled: false },' }) });
    emulator = await startCrmEmulator();
    await nodeRed.deploy(logFlow(nodeRed.userDir, { emulator }));
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      assert.equal((await postLead(nodeRed.url, email)).status, 200);
      await deliveryInState(nodeRed.url, email, 'delivered');
    }
    // HubSpot busy for longer than the account's three attempts: one delivery fails.
    emulator.fault({ status: 503, times: 3, match: /contacts/ });
    assert.equal((await postLead(nodeRed.url, 'carla@example.com')).status, 200);
    failed = await deliveryInState(nodeRed.url, 'carla@example.com', 'failed');
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
    assert.deepEqual(hour.body.totals, { delivered: 3, failed: 1, rejected: 2 });
    assert.equal(hour.body.period, 'hour');
    assert.equal(hour.body.bucketMs, 5 * 60_000);
    assert.equal(hour.body.buckets.length, 12);
    const summed = {};
    for (const bucket of hour.body.buckets)
      for (const [state, n] of Object.entries(bucket)) summed[state] = (summed[state] ?? 0) + n;
    assert.deepEqual(summed, hour.body.totals);
    const failedBucket = Math.floor((Date.parse(failed.receivedAt) - hour.body.from) / hour.body.bucketMs);
    assert.equal(hour.body.buckets[failedBucket].failed, 1, 'the failed delivery is in the bucket of its time');
    assert.ok(hour.body.from + 12 * hour.body.bucketMs > Date.now());

    assert.deepEqual((await stats({ period: 'week', provider: 'salesmagic' })).body.totals, {
      delivered: 3,
      failed: 1,
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
      evalAllNow(page, '#sales-webhooks-log-counts .sales-webhooks-log-count', (list) =>
        Object.fromEntries(list.map((c) => [c.dataset.state, Number(c.querySelector('b').textContent)])),
      );
    assert.deepEqual(await counts(), { delivered: 3, failed: 1, rejected: 2 });
    const bars = () =>
      evalAllNow(page, '#sales-webhooks-log-chart rect', (rects) => {
        const sum = {};
        for (const r of rects) sum[r.dataset.outcome] = (sum[r.dataset.outcome] ?? 0) + Number(r.dataset.count);
        return sum;
      });
    assert.deepEqual(await bars(), { ok: 3, failed: 1, rejected: 2 });
    assert.equal(await page.locator('#sales-webhooks-log-chart g').count(), 24, 'a day: 24 hourly bars');
    await page.selectOption('#sales-webhooks-log-period', 'hour');
    await page.waitForFunction(() => document.querySelectorAll('#sales-webhooks-log-chart g').length === 12);
    assert.deepEqual(await bars(), { ok: 3, failed: 1, rejected: 2 });
    const chartBox = await evalNow(page, '#sales-webhooks-log-chart', (c) => c.getBoundingClientRect().width);
    assert.ok(chartBox > 250 && chartBox <= 315, String(chartBox));
    assert.deepEqual(await page.evaluate(brokenTexts, '#sales-webhooks-log-health'), []);
    // Under the chart, the CRM account: failing since HubSpot stayed busy, with its answer.
    await page.waitForSelector('#sales-webhooks-log-crm-health li[data-state="failing"]');
    assert.match(
      await page.textContent('#sales-webhooks-log-crm-health'),
      /CRM accounts.*failing.*HubSpot.*Failing since .*the CRM answered 503 after 3 attempts \(emulated 503\)/,
    );
    assert.deepEqual(await page.evaluate(brokenTexts, '#sales-webhooks-log-crm-health'), []);
    await page.screenshot({
      path: path.join(os.tmpdir(), 'sales-webhooks-log-health-315.png'),
      clip: await page.evaluate(() => {
        const r = document.getElementById('red-ui-sidebar').getBoundingClientRect();
        return { x: r.left, y: r.top, width: r.width, height: Math.min(r.height, 700) };
      }),
    });
    assert.deepEqual(pageErrors, []);
  });

  it("shows a delivery's timeline and the platform's answer at 315 px", async function () {
    const { page } = browser;
    await page.click(`#sales-webhooks-log-list tr[data-id="${failed.id}"]`);
    await page.waitForSelector('#sales-webhooks-log-timeline li[data-step="settled"]');
    const steps = await evalAllNow(page, '#sales-webhooks-log-timeline li', (list) =>
      list.map((li) => [li.dataset.step, li.textContent]),
    );
    assert.deepEqual(
      steps.map(([kind]) => kind),
      ['stored', 'emission', 'call', 'call', 'call', 'settlement', 'settled'],
    );
    assert.match(steps[0][1], /Received, verified and stored/);
    assert.match(steps[1][1], /Emitted to the flow \(emission 1\)/);
    // Each request to HubSpot: where it went, the answer, the retry it planned, the lead's request (folded).
    for (const [, text] of steps.slice(2, 5))
      assert.match(
        text,
        /^POST http:\/\/127\.0\.0\.1:\d+\/crm\/objects\/2026-09\/contacts\/batch\/upsert → 503.*Request sent/,
      );
    assert.match(steps[2][1], /retry planned at .*\{"message":"emulated 503"\}/);
    assert.doesNotMatch(steps[4][1], /retry planned/);
    assert.match(steps[5][1], /hubspot: failed.*3 requests.*the CRM answered 503 after 3 attempts/);
    assert.match(steps[6][1], /Settled: failed/);
    assert.equal(await page.textContent('#sales-webhooks-log-answer'), '200 {"received":true}');
    // The first request's body, unfolded: the lead's properties as HubSpot got them.
    const first = page.locator('#sales-webhooks-log-timeline li[data-step="call"]').first();
    await first.locator('summary').click();
    assert.match(await first.locator('pre').textContent(), /"email": "carla@example\.com"/);
    await first.screenshot({ path: path.join(os.tmpdir(), 'sales-webhooks-log-call-315.png') });
    assert.deepEqual(await page.evaluate(brokenTexts, '#sales-webhooks-log-timeline'), []);
    await page
      .locator('.sales-webhooks-log-detail-body')
      .screenshot({ path: path.join(os.tmpdir(), 'sales-webhooks-log-timeline-315.png') });

    // A refused request: refused at once, and the error the platform got.
    await page.click('#sales-webhooks-log-back');
    await page.click('#sales-webhooks-log-list tr[data-state="rejected"]');
    await page.waitForSelector('#sales-webhooks-log-timeline li[data-step="refused"]');
    assert.deepEqual(
      await evalAllNow(page, '#sales-webhooks-log-timeline li', (list) => list.map((li) => li.dataset.step)),
      ['refused'],
    );
    assert.equal(await page.textContent('#sales-webhooks-log-answer'), '401 {"error":"no matching signature"}');
  });
});
