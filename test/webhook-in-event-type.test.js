'use strict';
// An authentic event that does not say which event it is: output 2 says "event type missing", not "? does not match".
const assert = require('node:assert/strict');
const { helper, loadFlow, postRaw, collect } = require('./support/flow');
const send = require('./support/senders');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');

describe('sales-webhook in: an event with no type', function () {
  let running;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await running?.close();
    await helper.unload();
  });

  it('is acknowledged and reported on output 2 as "event type missing"', async function () {
    running = await loadFlow(
      [webhookInNode, sourceNode],
      [
        { id: 'src', type: 'sales-webhook-source', provider: 'callcall' },
        {
          id: 'in',
          type: 'sales-webhook in',
          url: '/webhooks/callcall',
          source: 'src',
          wires: [['accepted'], ['rejected']],
        },
        { id: 'accepted', type: 'helper' },
        { id: 'rejected', type: 'helper' },
      ],
      { src: send.PLATFORMS.callcall.credentials },
    );
    const event = JSON.parse(send.fixture('callcall', 'customer.qualified'));
    delete event.type;
    const body = Buffer.from(JSON.stringify(event));
    helper.getNode('accepted').on('input', () => assert.fail('an event without a type must not reach output 1'));
    const got = collect(helper.getNode('rejected'));
    const res = await postRaw(`${running.baseUrl}/webhooks/callcall`, { body, headers: send.callcallHeaders(body) });
    assert.equal(res.status, 200, res.body);
    const [msg] = await got;
    assert.match(msg.payload.reason, /^event type missing/);
    assert.doesNotMatch(msg.payload.reason, /\?/);
    assert.ok(
      msg.payload.issues.some((issue) => /^type: /.test(issue)),
      msg.payload.issues.join('; '),
    );
  });
});
