'use strict';
// sales-webhook in → sales-lead-map in the real runtime, over real HTTP: every preset's fixture becomes its lead(s).
const assert = require('node:assert/strict');
const { helper, loadFlow, postRaw, collect, settle, coreNode } = require('./support/flow');
const send = require('./support/senders');
const { listLeadPresets } = require('../dist/providers/registry');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');
const leadMapNode = require('../nodes/sales-lead-map.js');
const catchNode = coreNode('common/25-catch.js');

const NODES = [webhookInNode, sourceNode, leadMapNode, catchNode];
const SIGNERS = send.PLATFORMS;

// What each preset must make of its fixture: the number of leads and a few fields of the first one.
const EXPECTED = {
  'saleassist:widget_new_conversation': [
    1,
    {
      email: 'prakashm@athenabpo.in',
      fullName: 'Prakash Mudhaliyar',
      firstName: 'Prakash',
      lastName: 'Mudhaliyar',
      city: 'Faridabad',
      postalCode: '400615',
    },
  ],
  'salesmagic:call.completed': [
    2,
    {
      fullName: 'Dana Whitfield',
      company: 'Northwind Traders',
      jobTitle: 'VP Sales',
      'custom.owner': 'Maria Lopez',
      'custom.ownerEmail': 'maria.lopez@salesmagic-demo.com',
    },
  ],
  'callcall:customer.qualified': [
    1,
    {
      'custom.customerId': 'customer_987654321',
      score: 85,
      'custom.qualificationType': 'hot',
      tags: ['budget_match', 'high_engagement'],
      email: 'lena.fischer@contoso.example',
    },
  ],
  'salescaling:commercial_signal_detected': [
    1,
    { 'custom.contactId': 'ct_4821', 'custom.companyId': 'co_1177', 'custom.signalCode': 'buying_intent' },
  ],
  'recorder:recording.transcript.ready': [2, { fullName: 'John Doe', email: 'john.doe@example.com' }],
  'recorder:transcript.generated': [2, { fullName: 'John Doe' }],
  'recorder:transcript.updated': [2, { fullName: 'John Doe' }],
  'recorder:meeting.ended': [2, { fullName: 'John Doe', 'custom.meetingTitle': 'Demo with Globex' }],
};
const get = (obj, dotted) => dotted.split('.').reduce((o, k) => o?.[k], obj);

function flow(provider, leadMap) {
  return [
    { id: 'src', type: 'sales-webhook-source', provider },
    {
      id: 'in',
      type: 'sales-webhook in',
      z: 'f',
      x: 100,
      y: 100,
      url: `/webhooks/${provider}`,
      source: 'src',
      wires: [['map'], []],
    },
    {
      id: 'map',
      type: 'sales-lead-map',
      z: 'f',
      x: 300,
      y: 100,
      property: 'payload',
      version: 1,
      ...leadMap,
      wires: [['leads'], ['failed']],
    },
    { id: 'leads', type: 'helper', z: 'f', x: 500, y: 100 },
    { id: 'failed', type: 'helper', z: 'f', x: 500, y: 160 },
    { id: 'catcher', type: 'catch', z: 'f', x: 300, y: 200, scope: ['map'], wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f', x: 500, y: 200 },
  ];
}

describe('sales-webhook in → sales-lead-map', function () {
  let running;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await helper.unload();
  });

  it('has an expectation for every preset', function () {
    assert.deepEqual(
      listLeadPresets()
        .map((p) => p.id)
        .sort(),
      Object.keys(EXPECTED).sort(),
    );
  });

  for (const preset of listLeadPresets()) {
    it(`${preset.id}: its fixture yields the expected lead(s)`, async function () {
      const { credentials, sign } = SIGNERS[preset.provider];
      running = await loadFlow(
        NODES,
        flow(preset.provider, {
          preset: preset.id,
          mappings: preset.mappings,
          split: Boolean(preset.splitPath),
          splitPath: preset.splitPath ?? '',
        }),
        { src: credentials },
      );
      const [count, fields] = EXPECTED[preset.id];
      helper.getNode('failed').on('input', (msg) => assert.fail(JSON.stringify(msg.error)));
      const got = collect(helper.getNode('leads'), count);
      const body = send.fixture(preset.provider, preset.eventType);
      const res = await postRaw(`${running.baseUrl}/webhooks/${preset.provider}`, { body, headers: sign(body) });
      assert.equal(res.status, 200, res.body);
      const messages = await got;
      const lead = messages[0].payload;
      for (const [field, value] of Object.entries(fields))
        assert.deepEqual(get(lead, field), value, `${preset.id} ${field}`);
      assert.equal(lead.source.provider, preset.provider);
      assert.equal(lead.source.eventType, preset.eventType);
      assert.ok(lead.source.receivedAt);
      assert.equal(messages[0].topic, preset.eventType);
      assert.equal(messages[0].webhook.eventType, preset.eventType);
      await settle(30);
    });
  }

  it('a missing required field lands on output 2 naming the field, and a Catch node sees it', async function () {
    const preset = listLeadPresets().find((p) => p.id === 'saleassist:widget_new_conversation');
    running = await loadFlow(NODES, flow('saleassist', { preset: preset.id, mappings: preset.mappings }), {
      src: SIGNERS.saleassist.credentials,
    });
    const event = JSON.parse(send.fixture('saleassist', 'widget_new_conversation'));
    event.payload.people_detail.email = '   ';
    const body = Buffer.from(JSON.stringify(event));
    helper.getNode('leads').on('input', () => assert.fail('no lead without its required email'));
    const failed = collect(helper.getNode('failed'));
    const caught = collect(helper.getNode('caught'));
    const res = await postRaw(`${running.baseUrl}/webhooks/saleassist`, { body, headers: send.tokenHeaders(body) });
    assert.equal(res.status, 200);
    const [msg] = await failed;
    assert.deepEqual(
      msg.error.fields.map((f) => f.field),
      ['email'],
    );
    assert.equal(msg.error.fields[0].path, 'payload.people_detail.email');
    assert.match(msg.error.message, /email/);
    assert.deepEqual(msg.payload, event, 'the event is kept, nothing is lost');
    const [caughtMsg] = await caught;
    assert.match(caughtMsg.error.message, /email \(payload\.people_detail\.email\)/);
  });

  /** A lead map that makes one lead of each of `people[*]`, each needing its e-mail. */
  const loadSplitFlow = () =>
    loadFlow(
      NODES,
      flow('saleassist', {
        mappings: [{ field: 'email', path: 'people[*].email', type: 'email', required: true }],
        split: true,
        splitPath: 'people[*]',
      }),
      { src: SIGNERS.saleassist.credentials },
    );

  it("a split of 450 leads sends them all, in order, without holding up the next event's lead until the last", async function () {
    running = await loadSplitFlow();
    const people = Array.from({ length: 450 }, (_, i) => ({ email: `person${i}@example.com` }));
    const got = collect(helper.getNode('leads'), 451);
    const map = helper.getNode('map');
    map.receive({ payload: { people } });
    map.receive({ payload: { people: [{ email: 'next@example.com' }] } });
    const emails = (await got).map((m) => m.payload.email);
    assert.deepEqual(
      emails.filter((e) => e !== 'next@example.com'),
      people.map((p) => p.email),
    );
    assert.ok(
      emails.indexOf('next@example.com') < emails.indexOf('person449@example.com'),
      `the next event's lead came at ${emails.indexOf('next@example.com')}, after the whole split`,
    );
  });

  it('a split whose 3,000 records all fail the same way says so once, with the count', async function () {
    running = await loadSplitFlow();
    const failed = collect(helper.getNode('failed'));
    helper.getNode('map').receive({ payload: { people: Array.from({ length: 3000 }, () => ({})) } });
    const [msg] = await failed;
    assert.equal(
      msg.error.message,
      'No lead: email (people[*].email): required, but the path found nothing (3000 records)',
    );
    assert.deepEqual(msg.error.fields, [
      { field: 'email', path: 'people[*].email', reason: 'required, but the path found nothing', records: 3000 },
    ]);
  });

  it('a split record that throws when read, past the first slice, fails that message on output 2, not Node-RED', async function () {
    running = await loadSplitFlow();
    // Mapping a record past the first slice throws (the first time only: Node-RED's Catch node copies the message
    // and reads it again). Node-RED catches a fault in an input handler; a later slice runs outside it.
    const people = Array.from({ length: 450 }, (_, i) => ({ email: `person${i}@example.com` }));
    let reads = 0;
    Object.defineProperty(people[299], 'email', {
      enumerable: true,
      get() {
        if (reads++ === 0) throw new Error('this record cannot be read');
        return 'person299@example.com';
      },
    });
    helper.getNode('leads').on('input', () => assert.fail('no lead of a message that failed'));
    const failed = collect(helper.getNode('failed'));
    helper.getNode('map').receive({ payload: { people } });
    const [msg] = await failed;
    assert.equal(msg.error.message, 'Part of the event could not be read: this record cannot be read');
  });

  it('leads Node-RED cannot copy for a second wire, past the first slice, fail that message with the reason, not Node-RED', async function () {
    running = await loadFlow(NODES, [
      ...flow('saleassist', {
        mappings: [{ field: 'email', path: 'people[*].email', type: 'email', required: true }],
        split: true,
        splitPath: 'people[*]',
      }).map((n) => (n.id === 'map' ? { ...n, wires: [['leads', 'leads-copy'], ['failed']] } : n)),
      { id: 'leads-copy', type: 'helper', z: 'f' },
    ]);
    // Kept on the message beside msg.payload, which the leads replace: every lead carries it, too deep to copy.
    let kept = {};
    const deep = kept;
    for (let i = 0; i < 100000; i++) kept = kept.a = {};
    const people = Array.from({ length: 450 }, (_, i) => ({ email: `person${i}@example.com` }));
    const failed = collect(helper.getNode('failed'));
    helper.getNode('map').receive({ payload: { people }, kept: deep });
    const [msg] = await failed;
    assert.match(
      msg.error.message,
      /^Node-RED could not copy a lead's message for the next nodes \(Maximum call stack/,
    );
  });

  it('a path that does not compile is a deploy-time error with the row named, never a crash per message', async function () {
    running = await loadFlow(
      NODES,
      flow('saleassist', {
        mappings: [
          { field: 'email', path: 'payload.people_detail.email', type: 'email', required: true },
          { field: 'phone', path: 'payload[?(@.x ==)]', type: 'phone' },
        ],
      }),
      { src: SIGNERS.saleassist.credentials },
    );
    const map = helper.getNode('map');
    const failed = collect(helper.getNode('failed'));
    map.receive({ payload: { payload: {} } });
    const [msg] = await failed;
    assert.match(msg.error.message, /row 2 \(phone\): the path is not valid JSONPath/);
  });

  it('serves presets, fixtures, the last delivery and a preview to the editor', async function () {
    running = await loadFlow(
      NODES,
      flow('saleassist', {
        mappings: [{ field: 'email', path: 'payload.people_detail.email', type: 'email', required: true }],
      }),
      { src: SIGNERS.saleassist.credentials },
    );
    const presets = (await helper.request().get('/sales-lead-map/presets').expect(200)).body;
    assert.ok(presets.some((p) => p.id === 'saleassist:widget_new_conversation' && p.mappings.length > 3));
    const fixture = (
      await helper.request().get('/sales-lead-map/fixture/saleassist:widget_new_conversation').expect(200)
    ).body;
    assert.equal(fixture.payload.payload.people_detail.email, 'prakashm@athenabpo.in');
    await helper.request().get('/sales-lead-map/fixture/..%2F..%2Fpackage.json').expect(404);
    await helper.request().get('/sales-lead-map/last-delivery/in').expect(404);

    const body = send.fixture('saleassist', 'widget_new_conversation');
    await postRaw(`${running.baseUrl}/webhooks/saleassist`, { body, headers: send.tokenHeaders(body) });
    const last = (await helper.request().get('/sales-lead-map/last-delivery/in').expect(200)).body;
    assert.equal(last.webhook.eventType, 'widget_new_conversation');
    assert.equal(last.webhook.headers['x-webhook-token'], '[redacted]');

    const preview = (
      await helper
        .request()
        .post('/sales-lead-map/preview')
        .send({
          mappings: [
            { field: 'email', path: 'payload.people_detail.email', type: 'email', required: true },
            { field: 'phone', path: 'payload.people_detail.nope', type: 'phone', required: true },
          ],
          sample: last.payload,
          webhook: last.webhook,
        })
        .expect(200)
    ).body;
    assert.deepEqual(
      preview.failures.map((f) => [f.row, f.field]),
      [[2, 'phone']],
    );
    assert.ok(
      preview.paths.some((p) => p.path === 'payload.people_detail.email' && p.value === 'prakashm@athenabpo.in'),
    );
    const ok = (
      await helper
        .request()
        .post('/sales-lead-map/preview')
        .send({
          mappings: [{ field: 'email', path: 'payload.people_detail.email', type: 'email' }],
          sample: last.payload,
        })
        .expect(200)
    ).body;
    assert.equal(ok.leads[0].email, 'prakashm@athenabpo.in');
  });
});
