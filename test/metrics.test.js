'use strict';
// GET /sales-webhooks/metrics in a real Node-RED: known numbers of accepted, duplicate, forged and invalid posts and of
// CRM calls (two of them refused with 503 and retried), read back through a Prometheus text-format parser.
const assert = require('node:assert/strict');
const parsePrometheusTextFormat = require('parse-prometheus-text-format');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { startCrmEmulator } = require('./support/crm-emulator');
const { logSettings, login, logFlow, postLead, deliveryInState } = require('./support/delivery-log');
const { postRaw } = require('./support/flow');
const send = require('./support/senders');

/** A signed SalesMagic user.created whose e-mail is a number: it fails the event's schema, so it is `invalid`. */
function postInvalid(url) {
  const event = JSON.parse(send.fixture('salesmagic', 'user.created').toString('utf8'));
  event.id = send.randomId('evt_');
  event.payload.user.email = 42;
  const body = JSON.stringify(event);
  return postRaw(`${url}/webhooks/salesmagic`, { body, headers: send.svixHeaders(body) });
}

async function scrape(url, headers = {}) {
  const res = await fetch(`${url}/sales-webhooks/metrics`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type'), /^text\/plain;.*\bversion=0\.0\.4\b/);
  return parsePrometheusTextFormat(await res.text());
}

/** The samples of one family, as [labels, value] pairs; histograms as [labels, { count, sum }]. */
function samples(families, name) {
  const family = families.find((f) => f.name === name);
  assert.ok(family, `${name} is exposed`);
  return family.metrics.map((m) => [m.labels ?? {}, m.value !== undefined ? Number(m.value) : m]);
}
const valueOf = (families, name, labels) =>
  samples(families, name)
    .filter(([l]) => Object.entries(labels).every(([k, v]) => l[k] === v))
    .reduce((sum, [, v]) => sum + v, 0);

describe('Prometheus metrics (real Node-RED)', function () {
  this.timeout(90000);
  let emulator;
  let nodeRed;
  after(async () => {
    await nodeRed?.remove();
    await emulator?.close();
  });

  it('counts what was sent: requests by outcome, settlements, CRM calls by status, and times them', async function () {
    emulator = await startCrmEmulator();
    // adminAuth on, and the metrics opened to a Prometheus without a token by the package's setting.
    nodeRed = await startNodeRed({
      settings: logSettings({ auth: true, extra: 'salesWebhooks: { metrics: { open: true } },' }),
    });
    await nodeRed.deploy(logFlow(nodeRed.userDir, { emulator }), { token: await login(nodeRed.url, 'admin') });

    const emails = ['m1@example.com', 'm2@example.com', 'm3@example.com'];
    emulator.fault({ status: 503, times: 2 }); // the first lead's first two CRM calls: retried
    const eventIds = [];
    for (const email of emails) {
      const eventId = send.randomId('evt_');
      eventIds.push(eventId);
      assert.equal((await postLead(nodeRed.url, email, 'Metric Person', { eventId })).status, 200);
      await deliveryInState(nodeRed.url, email, 'delivered', { token: await login(nodeRed.url, 'admin') });
    }
    for (const eventId of eventIds.slice(0, 2))
      assert.equal((await postLead(nodeRed.url, emails[0], 'Metric Person', { eventId })).status, 200);
    for (let i = 0; i < 4; i++)
      assert.equal((await postLead(nodeRed.url, `forged${i}@example.com`, 'F', { forged: true })).status, 401);
    for (let i = 0; i < 2; i++) assert.equal((await postInvalid(nodeRed.url)).status, 200);

    let families;
    // Settling ends after the answers; once it has, every count is final. On a timeout the assertions say what differs.
    await waitFor(async () => {
      families = await scrape(nodeRed.url);
      return (
        valueOf(families, 'sales_webhooks_settled_total', {}) === 5 &&
        valueOf(families, 'sales_webhooks_unsettled', {}) === 0
      );
    }, 20000).catch(() => undefined);

    const requests = (outcome) =>
      valueOf(families, 'sales_webhooks_requests_total', { provider: 'salesmagic', outcome });
    assert.deepEqual(
      ['accepted', 'duplicate', 'rejected', 'invalid'].map(requests),
      [3, 2, 4, 2],
      'accepted, duplicate, rejected, invalid',
    );
    const settled = (state) => valueOf(families, 'sales_webhooks_settled_total', { provider: 'salesmagic', state });
    assert.equal(settled('delivered'), 3, 'the three leads reached the CRM');
    assert.equal(settled('handled'), 2, 'the invalid ones went to an unwired second output: handled');
    assert.equal(settled('failed'), 0);
    assert.equal(valueOf(families, 'sales_webhooks_unsettled', {}), 0, 'nothing left unsettled');

    const crm = samples(families, 'sales_webhooks_crm_requests_total');
    assert.ok(crm.length > 0 && crm.every(([l]) => l.system === 'hubspot'));
    const crmTotal = crm.reduce((sum, [, v]) => sum + v, 0);
    assert.equal(crmTotal, emulator.requests.length, 'every request the CRM received, once');
    assert.equal(valueOf(families, 'sales_webhooks_crm_requests_total', { status: '503' }), 2);
    assert.equal(
      crm.filter(([l]) => /^2\d\d$/.test(l.status)).reduce((sum, [, v]) => sum + v, 0),
      emulator.requests.length - 2,
    );

    // The parser folds a histogram's series into one object of buckets (its count and sum lines are dropped when the
    // series has labels): each histogram here has one label set, and its +Inf bucket is its count.
    const buckets = (name) => {
      const family = families.find((f) => f.name === name);
      assert.equal(family.metrics.length, 1, name);
      return Object.fromEntries(Object.entries(family.metrics[0].buckets).map(([le, n]) => [le, Number(n)]));
    };
    const acknowledged = buckets('sales_webhooks_acknowledge_seconds');
    assert.equal(acknowledged['+Inf'], 11, 'every answered request is timed');
    assert.equal(acknowledged['10'], 11, 'each within 10 s');
    const crmLatency = buckets('sales_webhooks_crm_request_seconds');
    assert.equal(crmLatency['+Inf'], crmTotal, 'every CRM call is timed');
  });

  it('needs sales-webhooks.read under adminAuth unless settings.js opens it', async function () {
    const guarded = await startNodeRed({ settings: logSettings({ auth: true }) });
    try {
      assert.equal((await fetch(`${guarded.url}/sales-webhooks/metrics`)).status, 401);
      const outsider = await login(guarded.url, 'outsider');
      const refused = await fetch(`${guarded.url}/sales-webhooks/metrics`, {
        headers: { authorization: `Bearer ${outsider}` },
      });
      assert.equal(refused.status, 401);
      const reader = await login(guarded.url, 'reader');
      const families = await scrape(guarded.url, { authorization: `Bearer ${reader}` });
      assert.equal(valueOf(families, 'sales_webhooks_unsettled', {}), 0);
    } finally {
      await guarded.remove();
    }
  });
});
