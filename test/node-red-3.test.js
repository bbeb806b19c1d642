'use strict';
// The oldest Node-RED we support (3.1): a real process with this package receives, verifies and maps.
const assert = require('node:assert/strict');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { postRaw } = require('./support/flow');
const send = require('./support/senders');
const { getLeadPreset } = require('../dist/providers/registry');

describe('in a real Node-RED 3.1', function () {
  this.timeout(60000);
  let nodeRed;
  after(async () => {
    await nodeRed?.remove();
  });

  it('accepts a Svix-signed call.completed, answers 401 to a changed byte, and maps one lead per prospect', async function () {
    nodeRed = await startNodeRed({ entry: require.resolve('node-red-3/red.js') });
    assert.match((await (await fetch(`${nodeRed.url}/settings`)).json()).version, /^3\.1\./);
    const preset = getLeadPreset('salesmagic:call.completed');
    // Debug nodes write to the log, which the test reads: what the flow emitted, line by line.
    const debug = (id, complete) => ({
      id,
      type: 'debug',
      z: 'tab',
      active: true,
      tosidebar: false,
      console: true,
      complete,
      targetType: 'msg',
      wires: [],
    });
    await nodeRed.deploy([
      { id: 'tab', type: 'tab', label: 'webhooks' },
      {
        id: 'src',
        type: 'sales-webhook-source',
        provider: 'salesmagic',
        tolerance: 300,
        credentials: { secret: send.SECRETS.svix },
      },
      {
        id: 'in',
        type: 'sales-webhook in',
        z: 'tab',
        url: '/webhooks/salesmagic',
        source: 'src',
        wires: [['map'], ['rejections']],
      },
      {
        id: 'map',
        type: 'sales-lead-map',
        z: 'tab',
        preset: preset.id,
        mappings: preset.mappings,
        split: true,
        splitPath: preset.splitPath,
        property: 'payload',
        version: 1,
        wires: [['leads'], []],
      },
      debug('leads', 'payload.fullName'),
      debug('rejections', 'payload.statusCode'),
    ]);
    const body = send.fixture('salesmagic', 'call.completed');
    assert.equal(
      (await postRaw(`${nodeRed.url}/webhooks/salesmagic`, { body, headers: send.svixHeaders(body) })).status,
      200,
    );
    const tampered = Buffer.from(body);
    tampered[tampered.length - 5] ^= 1;
    assert.equal(
      (await postRaw(`${nodeRed.url}/webhooks/salesmagic`, { body: tampered, headers: send.svixHeaders(body) })).status,
      401,
    );
    await waitFor(
      () =>
        /\[debug:leads\] Dana Whitfield/.test(nodeRed.logs()) &&
        /\[debug:leads\] Sam Okafor/.test(nodeRed.logs()) &&
        /\[debug:rejections\] 401/.test(nodeRed.logs()),
      30000,
    );
    assert.doesNotMatch(nodeRed.logs(), /\[error\]/);
  });
});
