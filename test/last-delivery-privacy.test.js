'use strict';
// The lead map's "Last delivery" serves a whole delivery, personal data included: in a real Node-RED with adminAuth it
// needs the delivery log's read permission besides the lead map's, and forgets a person the log has erased.
const assert = require('node:assert/strict');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { logSettings, login, logFlow, postLead } = require('./support/delivery-log');

describe('the lead map\'s "Last delivery" and personal data', function () {
  this.timeout(60000);
  let nodeRed;
  after(() => nodeRed?.remove());

  it("needs sales-webhooks.read besides sales-lead-map.read, and serves nothing of a person after the log's erasure", async function () {
    nodeRed = await startNodeRed({ settings: logSettings({ auth: true }) });
    const admin = await login(nodeRed.url, 'admin');
    await nodeRed.deploy(logFlow(nodeRed.userDir), { token: admin });
    assert.equal((await postLead(nodeRed.url, 'ida.berg@example.com', 'Ida Berg')).status, 200);

    const get = async (token, route) => {
      const res = await fetch(`${nodeRed.url}/sales-lead-map/${route}`, {
        headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      });
      return { status: res.status, text: await res.text() };
    };
    // The receiver's own route, and the dialog's (the nearest receiver upstream of lead map `map`).
    const routes = ['last-delivery/in', 'map/upstream-delivery'];
    await waitFor(async () => (await get(admin, routes[0])).status === 200);
    for (const route of routes) assert.match((await get(admin, route)).text, /ida\.berg@example\.com/, route);

    // The lead map's permission alone (enough for presets and the preview) does not open a delivery.
    const mapper = await login(nodeRed.url, 'mapper');
    assert.equal((await get(mapper, 'presets')).status, 200);
    for (const route of routes) {
      const answer = await get(mapper, route);
      assert.equal(answer.status, 403, route);
      assert.doesNotMatch(answer.text, /ida|berg/i, route);
      assert.match(JSON.parse(answer.text).error, /sales-webhooks\.read/);
    }

    // Erased through the log (any case, as the stores match it): the last delivery goes with the stored ones.
    const erase = await fetch(`${nodeRed.url}/sales-webhooks/erase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ email: 'Ida.Berg@Example.com' }),
    });
    assert.deepEqual(await erase.json(), { erased: 1 });
    for (const route of routes) {
      const answer = await get(admin, route);
      assert.equal(answer.status, 404, route);
      assert.doesNotMatch(answer.text, /ida|berg/i, route);
    }

    // The next delivery is served again: the route forgot a person, not its purpose.
    assert.equal((await postLead(nodeRed.url, 'jon.vik@example.com', 'Jon Vik')).status, 200);
    await waitFor(async () => (await get(admin, routes[0])).status === 200);
    assert.match((await get(admin, routes[1])).text, /jon\.vik@example\.com/);
  });
});
