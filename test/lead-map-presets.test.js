'use strict';
// A lead map that names a preset and stores no rows follows the preset at run time (a flow written by hand, by a
// script, or kept from an older version); stored rows win. Real runtime, real HTTP through sales-webhook in.
const assert = require('node:assert/strict');
const { helper, loadFlow, postRaw, collect, settle } = require('./support/flow');
const send = require('./support/senders');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');
const leadMapNode = require('../nodes/sales-lead-map.js');

const NODES = [webhookInNode, sourceNode, leadMapNode];

function flow(provider, leadMap) {
  return [
    { id: 'src', type: 'sales-webhook-source', provider },
    { id: 'in', type: 'sales-webhook in', url: `/webhooks/${provider}`, source: 'src', wires: [['map'], []] },
    // As a person or a script writes it: no version, no property, no rows.
    { id: 'map', type: 'sales-lead-map', ...leadMap, wires: [['leads'], ['failed']] },
    { id: 'leads', type: 'helper' },
    { id: 'failed', type: 'helper' },
  ];
}

describe('sales-lead-map follows its preset when it has no rows', function () {
  let running;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await helper.unload();
  });

  async function post(provider, eventType) {
    const body = send.fixture(provider, eventType);
    const res = await postRaw(`${running.baseUrl}/webhooks/${provider}`, {
      body,
      headers: send.PLATFORMS[provider].sign(body),
    });
    assert.equal(res.status, 200, res.body);
  }

  it('preset "saleassist:widget_new_conversation" and no rows gives the SaleAssist lead', async function () {
    running = await loadFlow(NODES, flow('saleassist', { preset: 'saleassist:widget_new_conversation' }), {
      src: send.PLATFORMS.saleassist.credentials,
    });
    helper.getNode('failed').on('input', (msg) => assert.fail(JSON.stringify(msg.error)));
    const got = collect(helper.getNode('leads'));
    await post('saleassist', 'widget_new_conversation');
    const [{ payload: lead }] = await got;
    assert.equal(lead.email, 'prakashm@athenabpo.in');
    assert.equal(lead.fullName, 'Prakash Mudhaliyar');
    assert.equal(lead.city, 'Faridabad');
    assert.equal(lead.source.provider, 'saleassist');
  });

  it("follows the preset's split path too: SalesMagic's call becomes one lead per prospect", async function () {
    running = await loadFlow(NODES, flow('salesmagic', { preset: 'salesmagic:call.completed', mappings: [] }), {
      src: send.PLATFORMS.salesmagic.credentials,
    });
    const got = collect(helper.getNode('leads'), 2);
    await post('salesmagic', 'call.completed');
    const leads = (await got).map((m) => m.payload);
    assert.equal(leads[0].fullName, 'Dana Whitfield');
    assert.notEqual(leads[1].fullName, leads[0].fullName);
  });

  it('stored rows win over the preset', async function () {
    const rows = [
      { field: 'contact', path: 'payload.people_detail.name', type: 'string', required: true, default: '' },
    ];
    running = await loadFlow(
      NODES,
      flow('saleassist', { preset: 'saleassist:widget_new_conversation', mappings: rows, version: 1 }),
      { src: send.PLATFORMS.saleassist.credentials },
    );
    const got = collect(helper.getNode('leads'));
    await post('saleassist', 'widget_new_conversation');
    const [{ payload: lead }] = await got;
    assert.deepEqual(lead.custom, { contact: 'Prakash Mudhaliyar' });
    assert.equal(lead.email, undefined, 'only the stored rows are mapped');
  });

  it('a preset this version does not know, with no rows, is a deploy-time error that says what to do', async function () {
    running = await loadFlow(NODES, flow('saleassist', { preset: 'saleassist:no_such_event' }), {
      src: send.PLATFORMS.saleassist.credentials,
    });
    const failed = collect(helper.getNode('failed'));
    helper.getNode('map').receive({ payload: { payload: {} } });
    const [msg] = await failed;
    assert.match(
      msg.error.message,
      /"saleassist:no_such_event" is not in this version of the package .* choose a preset or add rows/,
    );
    await settle(20);
  });
});
