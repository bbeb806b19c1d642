'use strict';
// The delivery log's admin API in a real Node-RED process with this package installed: signed deliveries arrive
// through a `sales webhook` node and a real `sales-crm out` settles them in the CRM emulator's HubSpot (delivered, or
// failed while the emulator is told to fail); a forged one is refused and logged. The log lists, filters, opens,
// replays (the delivery is emitted again) and erases; bad input gets a 400/404/409 that says what to fix; with
// adminAuth on nothing is served without a session, and a user with only read permission can look but not replay or
// erase.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { startCrmEmulator } = require('./support/crm-emulator');
const { contactId } = require('./support/leads-load');
const { logSettings, login, logFlow, postLead, deliveryInState, emitted } = require('./support/delivery-log');

describe('delivery log admin API in a real Node-RED', function () {
  this.timeout(60000);
  let nodeRed;
  let emulator;
  afterEach(async () => {
    if (nodeRed) {
      await nodeRed.remove();
    }
    nodeRed = undefined;
    await emulator?.close();
    emulator = undefined;
  });

  const api = (token) => async (method, route, body) => {
    const res = await fetch(`${nodeRed.url}/sales-webhooks/${route}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };

  it('with adminAuth off: lists newest first, filters, opens, replays, erases; bad input says what to fix', async function () {
    nodeRed = await startNodeRed({ settings: logSettings() });
    const call = api();
    assert.deepEqual(
      (await call('GET', 'deliveries')).json,
      { deliveries: [] },
      'no inbox file yet: an empty log, not an error',
    );
    emulator = await startCrmEmulator();
    // A second webhook node, `gone`, is deployed only while Eve's delivery arrives.
    await nodeRed.deploy(logFlow(nodeRed.userDir, { emulator, alsoListening: ['gone'] }));
    // Each post waits for the CRM's answer before the next: the log's order is the posts' order.
    const lead = async (email, name, state, options) => {
      const answer = await postLead(nodeRed.url, email, name, options);
      assert.equal(answer.status, 200, answer.body);
      return deliveryInState(nodeRed.url, email, state);
    };
    await lead('ann@example.com', 'Ann Example', 'delivered');
    await lead('bob@example.com', 'Bob Example', 'delivered');
    // HubSpot busy for longer than the account's three attempts; its answer echoes the account's token.
    emulator.fault({
      status: 503,
      times: 3,
      match: /contacts/,
      body: { status: 'error', message: `Service busy: key ${emulator.token} was not processed`, category: 'BUSY' },
    });
    const carla = await lead('carla@example.com', 'Carla Failed', 'failed', { eventId: 'msg_carla' });
    const dan = await lead('dan@example.com', 'Dan Delivered', 'delivered');
    emulator.fault({
      status: 401,
      times: 1,
      match: /contacts/,
      body: {
        status: 'error',
        message: 'The token used to make this call expired',
        category: 'EXPIRED_AUTHENTICATION',
      },
    });
    const eve = await lead('eve@example.com', 'Eve Orphan', 'failed', { path: '/webhooks/gone' });
    emulator.fault({
      status: 500,
      times: 1,
      match: /contacts/,
      body: { status: 'error', message: 'HubSpot answered 500' },
    });
    const fay = await lead('fay@example.com', 'Fay Failed', 'failed');
    const forged = await postLead(nodeRed.url, 'mallory@example.com', 'Mallory', { forged: true });
    assert.equal(forged.status, 401, forged.body);
    await waitFor(async () => (await call('GET', 'deliveries?state=rejected')).json.deliveries.length === 1);
    await nodeRed.deploy(logFlow(nodeRed.userDir, { emulator }));
    assert.equal(emitted(nodeRed.userDir).length, 6, 'each delivery emitted once; the forged one never');

    const {
      json: { deliveries },
    } = await call('GET', 'deliveries');
    assert.equal(deliveries.length, 7);
    assert.deepEqual(
      deliveries.map((d) => d.leads[0]?.email ?? d.state),
      [
        'rejected',
        'fay@example.com',
        'eve@example.com',
        'dan@example.com',
        'carla@example.com',
        'bob@example.com',
        'ann@example.com',
      ],
    );
    for (const d of deliveries)
      for (const field of ['id', 'receivedAt', 'provider', 'eventType', 'state', 'node', 'leads', 'crm'])
        assert.ok(field in d, field);
    assert.deepEqual(deliveries[3].crm, [
      { system: 'hubspot', recordId: contactId(emulator, 'dan@example.com'), state: 'delivered' },
    ]);
    assert.equal(deliveries[5].state, 'delivered');
    assert.equal(deliveries[5].provider, 'salesmagic');
    assert.deepEqual(
      deliveries.map((d) => d.node),
      ['in', 'in', 'gone', 'in', 'in', 'in', 'in'],
    );
    assert.deepEqual(
      [deliveries[0].statusCode, deliveries[0].reason],
      [401, 'no matching signature'],
      'the refused request says why',
    );

    const list = async (query) =>
      (await call('GET', `deliveries?${new URLSearchParams(query)}`)).json.deliveries.map(
        (d) => d.leads[0]?.email ?? d.state,
      );
    assert.deepEqual(await list({ state: 'failed' }), ['fay@example.com', 'eve@example.com', 'carla@example.com']);
    assert.deepEqual(await list({ q: 'BOB@example.com' }), ['bob@example.com'], 'search by e-mail, any case');
    assert.deepEqual(await list({ q: 'msg_carla' }), ['carla@example.com'], 'search by event id');
    assert.deepEqual(await list({ node: 'gone' }), ['eve@example.com']);
    assert.deepEqual(await list({ provider: 'callcall' }), []);
    assert.ok(Date.parse(carla.receivedAt) < Date.parse(dan.receivedAt), 'posted one after the other');
    assert.ok(Date.parse(eve.receivedAt) < Date.parse(fay.receivedAt));
    assert.deepEqual(await list({ from: dan.receivedAt, to: String(Date.parse(eve.receivedAt)) }), [
      'eve@example.com',
      'dan@example.com',
    ]);
    assert.deepEqual(await list({ limit: '2' }), ['rejected', 'fay@example.com']);

    for (const [query, status, error] of [
      ['state=done', 400, /Unknown state "done": use one of received, emitted, delivered, handled, failed, rejected/],
      ['limit=ten', 400, /"limit" must be a whole number from 1 to 1000, not "ten"/],
      ['from=yesterday', 400, /"from" must be a date and time/],
      ['provider=hubspot', 400, /Unknown platform "hubspot": use one of salescaling, salesmagic/],
    ]) {
      const answer = await call('GET', `deliveries?${query}`);
      assert.equal(answer.status, status, query);
      assert.match(answer.json.error, error);
    }
    const unknown = await call('GET', 'deliveries/99999');
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.error, /No delivery 99999/);

    const carlaDetail = await call('GET', `deliveries/${carla.id}`);
    assert.equal(carlaDetail.status, 200);
    assert.equal(carlaDetail.json.headers['svix-signature'], '[redacted]');
    assert.equal(JSON.parse(carlaDetail.json.body).payload.user.email, 'carla@example.com');
    assert.deepEqual(
      carlaDetail.json.settlements.map((s) => [s.system, s.state, s.attempts, s.reason]),
      [
        [
          'hubspot',
          'failed',
          3,
          'the CRM answered 503 after 3 attempts (Service busy: key [redacted] was not processed)',
        ],
      ],
      "after the last attempt, the reason quotes the CRM's last answer, scrubbed",
    );
    assert.ok(!carlaDetail.text.includes(emulator.token), 'the token appears nowhere in the detail');
    const fayDetail = await call('GET', `deliveries/${fay.id}`);
    assert.deepEqual(
      fayDetail.json.settlements.map((s) => [s.state, s.reason]),
      [['failed', 'the CRM refused to create the contact (500: HubSpot answered 500)']],
      "a refusal is not retried, and its reason quotes the CRM's",
    );
    const posted = await call('GET', `deliveries/${deliveries[6].id}`);
    assert.equal(posted.json.headers['svix-signature'], '[redacted]', "a real delivery's signature is not kept");
    assert.equal(posted.json.meta.eventType, 'user.created');

    // Replay one: the node emits it again, flagged as a replay, and the CRM, back now, delivers it.
    const replay = await call('POST', `deliveries/${carla.id}/replay`);
    assert.deepEqual([replay.status, replay.json], [200, { replayed: 1 }]);
    await waitFor(() => emitted(nodeRed.userDir).includes(`${carla.id} 2 true carla@example.com`));
    await deliveryInState(nodeRed.url, 'carla@example.com', 'delivered');
    assert.deepEqual(
      (await call('GET', `deliveries/${carla.id}`)).json.settlements.map((s) => [s.state, s.recordId]),
      [
        ['failed', undefined],
        ['delivered', contactId(emulator, 'carla@example.com')],
      ],
    );
    const orphan = await call('POST', `deliveries/${eve.id}/replay`);
    assert.equal(orphan.status, 409);
    assert.match(orphan.json.error, /Node gone that received this delivery is not deployed/);
    const rejectedId = deliveries[0].id;
    const refused = await call('POST', `deliveries/${rejectedId}/replay`);
    assert.equal(refused.status, 409);
    assert.match(refused.json.error, /never verified/);
    assert.equal((await call('POST', 'deliveries/99999/replay')).status, 404);

    // Replay every failed delivery matching the filter: counted first, then replayed; undeployed nodes are named.
    const dry = await call('POST', 'replay', { dryRun: true });
    assert.deepEqual(dry.json, { replayed: 0, matching: 2, replayable: 1, notDeployed: ['gone'] });
    const bulk = await call('POST', 'replay', {});
    assert.equal(bulk.json.replayed, 1);
    await waitFor(() => emitted(nodeRed.userDir).includes(`${fay.id} 2 true fay@example.com`));
    await deliveryInState(nodeRed.url, 'fay@example.com', 'delivered');
    const none = await call('POST', 'replay', { node: 'gone' });
    assert.equal(none.status, 409);
    assert.match(none.json.error, /not deployed \(gone\)/);
    assert.equal((await call('POST', 'replay', { state: 'rejected' })).status, 400);
    assert.equal((await call('POST', 'replay', { state: 'nope' })).status, 400);
    assert.equal(emitted(nodeRed.userDir).length, 8, 'each replay emitted once');

    // Erase a person.
    for (const [body, error] of [
      [{}, /Give the e-mail address/],
      [{ email: 'ann' }, /is not an e-mail address/],
    ]) {
      const bad = await call('POST', 'erase', body);
      assert.equal(bad.status, 400);
      assert.match(bad.json.error, error);
    }
    assert.deepEqual((await call('POST', 'erase', { email: 'Ann@Example.com' })).json, { erased: 1 });
    assert.deepEqual(await list({ q: 'ann@example.com' }), []);
    // Gone from the disk too, not only from the list: no stale copy in the database file or its WAL.
    for (const file of fs.readdirSync(nodeRed.userDir).filter((f) => f.startsWith('sales-webhooks.db'))) {
      assert.equal(fs.readFileSync(path.join(nodeRed.userDir, file)).includes('ann@example.com'), false, file);
    }
    assert.deepEqual(
      (await call('POST', 'erase', { email: 'mallory@example.com' })).json,
      { erased: 1 },
      'refused requests too',
    );
    assert.equal((await call('GET', 'deliveries')).json.deliveries.length, 5);
    assert.doesNotMatch(nodeRed.logs(), /ann@example\.com/i, 'the address is not written to the log');
  });

  it('with adminAuth on: 401 without a session; read permission lists and opens, 403 names the missing permission', async function () {
    nodeRed = await startNodeRed({ settings: logSettings({ auth: true }) });
    emulator = await startCrmEmulator();
    const admin = await login(nodeRed.url, 'admin');
    await nodeRed.deploy(logFlow(nodeRed.userDir, { emulator }), { token: admin });
    assert.equal((await postLead(nodeRed.url, 'gina@example.com', 'Gina')).status, 200);
    await deliveryInState(nodeRed.url, 'gina@example.com', 'delivered', { token: admin });
    // A delivery the CRM failed: HubSpot down for longer than the account's attempts.
    emulator.fault({ status: 503, times: 3, match: /contacts/ });
    assert.equal((await postLead(nodeRed.url, 'hal@example.com', 'Failed')).status, 200);
    const { id: failedId } = await deliveryInState(nodeRed.url, 'hal@example.com', 'failed', { token: admin });

    const routes = [
      ['GET', 'deliveries'],
      ['GET', `deliveries/${failedId}`],
      ['GET', 'options'],
      ['POST', `deliveries/${failedId}/replay`],
      ['POST', 'replay', {}],
      ['POST', 'erase', { email: 'gina@example.com' }],
    ];
    for (const [method, route, body] of routes) {
      const anonymous = await api()(method, route, body);
      assert.equal(anonymous.status, 401, `${method} ${route}`);
      assert.doesNotMatch(anonymous.text, /example\.com/);
    }

    const reader = api(await login(nodeRed.url, 'reader'));
    const listed = await reader('GET', 'deliveries');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.json.deliveries.map((d) => d.leads[0].email),
      ['hal@example.com', 'gina@example.com'],
    );
    assert.equal((await reader('GET', `deliveries/${failedId}`)).json.state, 'failed');
    for (const [method, route, body, action] of [
      ['POST', `deliveries/${failedId}/replay`, undefined, 'replay'],
      ['POST', 'replay', { dryRun: true }, 'replay'],
      ['POST', 'erase', { email: 'gina@example.com' }, "erase a person's data"],
    ]) {
      const refused = await reader(method, route, body);
      assert.equal(refused.status, 403, route);
      assert.equal(
        refused.json.error,
        `You need the sales-webhooks.write permission to ${action}. Ask an administrator to add it to your user in adminAuth (settings.js).`,
      );
    }
    const viewer = api(await login(nodeRed.url, 'viewer'));
    assert.equal((await viewer('GET', 'deliveries')).status, 200, "Node-RED's read-only user reads the log");
    assert.equal((await viewer('POST', 'erase', { email: 'gina@example.com' })).status, 403);
    const outsider = await api(await login(nodeRed.url, 'outsider'))('GET', 'deliveries');
    assert.equal(outsider.status, 403);
    assert.match(outsider.json.error, /You need the sales-webhooks.read permission to see the delivery log/);
    assert.equal((await reader('GET', 'deliveries')).json.deliveries.length, 2, 'nothing was replayed or erased');

    const write = api(admin);
    assert.deepEqual((await write('POST', `deliveries/${failedId}/replay`)).json, { replayed: 1 });
    await waitFor(() => emitted(nodeRed.userDir).includes(`${failedId} 2 true hal@example.com`));
    await deliveryInState(nodeRed.url, 'hal@example.com', 'delivered', { token: admin });
    assert.deepEqual((await write('POST', 'erase', { email: 'gina@example.com' })).json, { erased: 1 });
  });

  it('loads as a plugin in Node-RED 3.1: routes, sidebar and its message catalog', async function () {
    nodeRed = await startNodeRed({ settings: logSettings(), entry: require.resolve('node-red-3/red.js') });
    const plugins = await (await fetch(`${nodeRed.url}/plugins`, { headers: { accept: 'application/json' } })).json();
    assert.ok(
      plugins.some((p) => p.id === 'node-red-contrib-sales-webhooks/sales-webhooks-log' && p.enabled && !p.err),
      JSON.stringify(plugins),
    );
    // The plugin's HTML loads its scripts from the package's resources, which 3.1 serves too.
    const html = await (await fetch(`${nodeRed.url}/plugins`, { headers: { accept: 'text/html' } })).text();
    for (const [, src] of html.matchAll(/<script[^>]+src="([^"]+)"/g)) {
      const script = await fetch(`${nodeRed.url}/${src}`);
      assert.equal(script.status, 200, src);
      if (src.endsWith('sales-webhooks-log.js')) assert.match(await script.text(), /RED\.sidebar\.addTab/);
    }
    assert.match(html, /sales-webhooks-editor\.js"[\s\S]*sales-webhooks-log\.js"/);
    const catalogs = await (await fetch(`${nodeRed.url}/plugins/messages?lng=en-US`)).json();
    assert.equal(
      catalogs['node-red-contrib-sales-webhooks/sales-webhooks-log']['sales-webhooks-log'].label.name,
      'Delivery log',
    );
    await nodeRed.deploy(logFlow(nodeRed.userDir));
    assert.equal((await postLead(nodeRed.url, 'ivy@example.com', 'Ivy')).status, 200);
    await waitFor(() => emitted(nodeRed.userDir).length === 1);
    const { deliveries } = await (await fetch(`${nodeRed.url}/sales-webhooks/deliveries?q=ivy`)).json();
    assert.equal(deliveries[0].leads[0].email, 'ivy@example.com');
    assert.equal(fs.existsSync(path.join(nodeRed.userDir, 'sales-webhooks.db')), true);
  });
});
