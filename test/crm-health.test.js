'use strict';
// A CRM account's health and a lead's CRM requests through the real runtime: the CRM emulator's HubSpot fails, then
// recovers. GET sales-webhooks/crm-health says failing (with the CRM's reason, no token) and when the account retries,
// then ok with its last success; each settled delivery keeps its own requests and answers, scrubbed and bounded.
const assert = require('node:assert/strict');
const { helper, loadFlow, postRaw, collect, settle } = require('./support/flow');
const { startCrmEmulator } = require('./support/crm-emulator');
const { leadsToCrmFlow, signedLead } = require('./support/leads-load');
const { inboxConsumer } = require('../dist/delivery/registry');
const { crmHealthBoard } = require('../dist/crm/health');
const { CRM_CALL_LIMITS } = require('../dist/crm/calls');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');
const leadMapNode = require('../nodes/sales-lead-map.js');
const accountNode = require('../nodes/sales-crm-account.js');
const crmOutNode = require('../nodes/sales-crm-out.js');

const TOKEN = 'crm-health-token-5b1d0e93';
const SECRET = 'hmac-secret-for-crm-health';

describe('CRM health and the requests of each lead, in the runtime', function () {
  this.timeout(30000);
  let emulator;
  let running;
  const health = async (headers = {}) => {
    const res = await helper.request().get('/sales-webhooks/crm-health').set(headers);
    return { status: res.status, body: res.body };
  };
  /** The delivery as the log reads it, once its settlement is written. */
  const settled = async (id, state) => {
    const { store } = inboxConsumer('in');
    let record;
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await settle(25)) {
      record = await store.get(id);
      if (record?.state === state) return record;
    }
    assert.fail(`delivery ${id} is ${record?.state}, not ${state}`);
  };

  before(async () => {
    await helper.startServer();
    emulator = await startCrmEmulator({ token: TOKEN });
    crmHealthBoard.drop('acct');
    running = await loadFlow(
      [webhookInNode, sourceNode, leadMapNode, accountNode, crmOutNode],
      leadsToCrmFlow({
        emulator,
        secret: SECRET,
        account: { name: 'HubSpot sales', maxAttempts: 3, minDelay: 200, maxDelay: 400, batchWindow: 300 },
        out: { wires: [['sent'], ['failed']] },
        extraNodes: [
          { id: 'sent', type: 'helper', z: 'tab' },
          { id: 'failed', type: 'helper', z: 'tab' },
        ],
      }),
      { src: { secret: SECRET }, acct: { token: TOKEN } },
    );
  });
  after(async () => {
    await running?.close();
    await helper.unload();
    await helper.stopServer();
    await emulator?.close();
  });

  it('is idle before any lead', async () => {
    const { status, body } = await health();
    assert.equal(status, 200);
    assert.deepEqual(body.accounts, [
      { account: 'acct', name: 'HubSpot sales', system: 'hubspot', state: 'idle', waiting: 0 },
    ]);
  });

  let failedRecord;
  it('fails: retrying with the next retry while HubSpot answers 503, then failing with the reason, no token', async () => {
    // The answer echoes the token: it must reach neither the health nor the stored requests.
    emulator.fault({ status: 503, times: 3, match: /contacts/, body: { message: `busy, key ${TOKEN}` } });
    const failed = collect(helper.getNode('failed'), 1, 10000);
    assert.equal(
      (await postRaw(`${running.baseUrl}/webhooks/leads`, signedLead('carla@example.com', SECRET))).status,
      200,
    );
    // Between the attempts (200 to 400 ms apart), the account waits for its back-off.
    let during;
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await settle(20)) {
      during = (await health()).body.accounts[0];
      if (during.nextRetry) break;
    }
    assert.equal(during.state, 'retrying');
    assert.equal(during.nextRetry.cause, 'backoff');
    assert.equal(during.nextRetry.status, 503);
    assert.ok(
      during.nextRetry.at > Date.now() - 50 && during.nextRetry.at < Date.now() + 1000,
      String(during.nextRetry.at),
    );
    const [msg] = await failed;
    const after = (await health()).body.accounts[0];
    assert.equal(after.state, 'failing');
    assert.equal(after.lastSuccessAt, undefined);
    assert.equal(after.failing.status, 503);
    assert.match(after.failing.reason, /the CRM answered 503 after 3 attempts \(busy, key \[redacted\]\)/);
    assert.equal(after.nextRetry, undefined, 'nothing waits once the lead failed');

    failedRecord = await settled(msg.webhook.deliveryId, 'failed');
    const [settlement] = failedRecord.settlements;
    assert.equal(settlement.calls.length, 3, 'each attempt, with its request and answer');
    settlement.calls.forEach((call, i) => {
      assert.equal(call.method, 'POST');
      assert.equal(call.url, `${emulator.url}/crm/objects/2026-09/contacts/batch/upsert`);
      assert.equal(call.status, 503);
      assert.equal(call.answer, '{"message":"busy, key [redacted]"}');
      assert.match(call.request, /"carla@example\.com"/);
      assert.ok(call.request.length <= CRM_CALL_LIMITS.requestChars + 1);
      assert.ok(call.at >= Date.parse(failedRecord.receivedAt));
      assert.equal(typeof call.ms, 'number');
      // The first two planned a retry, after the call; the last did not.
      if (i < 2)
        assert.ok(call.retryAt > call.at && call.retryAt <= settlement.calls[i + 1].at + 5, JSON.stringify(call));
      else assert.equal(call.retryAt, undefined);
    });
    const seen = JSON.stringify({ failedRecord, health: after }).toLowerCase();
    assert.ok(!seen.includes(TOKEN.toLowerCase()), 'the token appears nowhere');
  });

  it('recovers: ok with its last success; leads batched in one call keep only their own part of it', async () => {
    const sent = collect(helper.getNode('sent'), 2, 10000);
    const before = Date.now();
    // Within the batch window: one call carries both.
    for (const email of ['dora@example.com', 'emil@example.com'])
      assert.equal((await postRaw(`${running.baseUrl}/webhooks/leads`, signedLead(email, SECRET))).status, 200);
    const msgs = await sent;
    const { body } = await health();
    const [account] = body.accounts;
    assert.equal(account.state, 'ok');
    assert.equal(account.failing, undefined);
    assert.ok(account.lastSuccessAt >= before && account.lastSuccessAt <= body.now, JSON.stringify(account));

    for (const msg of msgs) {
      const record = await settled(msg.webhook.deliveryId, 'delivered');
      const [settlement] = record.settlements;
      assert.equal(settlement.calls.length, 1);
      const [call] = settlement.calls;
      assert.equal(call.status, 200);
      assert.equal(call.batch, 2);
      // What HubSpot said of this lead, not its answer about both.
      assert.equal(call.answer, `${msg.crm.action} ${msg.crm.id}`);
      const email = msg.payload.email;
      const other = email === 'dora@example.com' ? 'emil@example.com' : 'dora@example.com';
      assert.match(call.request, new RegExp(`"${email}"`));
      assert.ok(!JSON.stringify(record).includes(other), "the other person's data is not kept with this delivery");
      // msg.crm is as before: the requests go to the log only.
      assert.deepEqual(Object.keys(msg.crm).sort(), ['action', 'attempts', 'id', 'system']);
    }
  });

  it('is refused to another site, as the other log routes', async () => {
    const { status } = await health({ 'sec-fetch-site': 'cross-site' });
    assert.equal(status, 403);
  });
});
