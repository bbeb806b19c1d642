'use strict';
// The log's health against a real Node-RED: GET /sales-webhooks/stats counts what was sent (signed posts the flow
// handled, forged ones refused) by state and time bucket, per platform on demand; in Chromium at 315 px the health
// panel shows those counts and the chart, and a delivery's detail its timeline.
const assert = require('node:assert/strict');
const { startNodeRed } = require('./support/real-node-red');
const { logSettings, logFlow, postLead, deliveryInState } = require('./support/delivery-log');

describe('the delivery log health: counts by state, chart, timeline', function () {
  this.timeout(120000);
  let nodeRed;

  after(async () => {
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
});
