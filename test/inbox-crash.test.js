'use strict';
// Lose no lead, in a real Node-RED process (default settings, the package installed): a slow CRM, a bounded load of
// signed deliveries, kill -9 mid-run, a restart on the same user directory. Every acknowledged delivery reaches the
// CRM as exactly one contact and ends delivered; a forged one never does. And a CRM that stays down: deliveries end
// failed, and replaying them once it is back delivers each once.
const assert = require('node:assert/strict');
const path = require('node:path');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { startCrmEmulator } = require('./support/crm-emulator');
const { signedLead, postStatus, contactsByEmail, leadsToCrmFlow } = require('./support/leads-load');
const { SqliteInboxStore } = require('../dist/inbox');

const SECRET = 'crash-test-hmac-secret-5a1e';

const leadsFlow = (emulator) => leadsToCrmFlow({ emulator, secret: SECRET });

const delivery = (email, options) => signedLead(email, SECRET, options);

/** The delivery log as the running Node-RED answers it (only one process may open the inbox file). */
async function logList(nodeRed, query) {
  const res = await fetch(
    `${nodeRed.url}/sales-webhooks/deliveries?${new URLSearchParams({ limit: '1000', ...query })}`,
    {
      headers: { accept: 'application/json' },
    },
  );
  return (await res.json()).deliveries;
}

/** Opens the inbox file of a stopped Node-RED. */
async function withStore(file, fn) {
  const store = new SqliteInboxStore(file);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('lose no lead, in a real Node-RED', function () {
  this.timeout(120000);
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

  it('kill -9 mid-run: every acknowledged delivery reaches the CRM exactly once and ends delivered; forged ones never', async function () {
    emulator = await startCrmEmulator({ latencyMs: 60 });
    nodeRed = await startNodeRed();
    await nodeRed.deploy(leadsFlow(emulator));
    const userDir = nodeRed.userDir;

    const genuine = Array.from({ length: 200 }, (_, i) => delivery(`lead-${i}@example.com`));
    const forged = Array.from({ length: 20 }, (_, i) => delivery(`forged-${i}@example.com`, { forged: true }));
    const queue = genuine.flatMap((d, i) => (i % 10 === 0 ? [d, forged[i / 10]] : [d]));
    const status = new Map();
    let acknowledged = 0;
    let killedAt;
    const url = `${nodeRed.url}/webhooks/leads`;
    // Eight senders at a time; kill -9 once 80 deliveries were acknowledged (the slow CRM has a backlog by then).
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < queue.length) {
          const d = queue[next++];
          const code = await postStatus(url, d);
          status.set(d.email, code);
          if (code >= 200 && code < 300 && ++acknowledged === 80 && !killedAt) {
            killedAt = { inCrm: contactsByEmail(emulator).size };
            nodeRed.process.kill('SIGKILL');
          }
        }
      }),
    );
    assert.ok(killedAt, 'Node-RED was killed mid-run');
    assert.ok(
      killedAt.inCrm < 80,
      `some acknowledged deliveries had not reached the CRM when it was killed (${killedAt.inCrm} had)`,
    );
    for (const d of forged)
      assert.ok(status.get(d.email) === 401 || status.get(d.email) === 0, `${d.email}: ${status.get(d.email)}`);
    const ackedBeforeCrash = genuine
      .filter((d) => status.get(d.email) >= 200 && status.get(d.email) < 300)
      .map((d) => d.email);
    await new Promise((resolve) =>
      nodeRed.process.exitCode !== null || nodeRed.process.signalCode
        ? resolve()
        : nodeRed.process.once('exit', resolve),
    );

    // Same user directory: same flows, same inbox file.
    nodeRed = await startNodeRed({ userDir });
    const retryUrl = `${nodeRed.url}/webhooks/leads`;
    // The platform retries whatever got no 2xx.
    for (const d of genuine.filter((g) => !(status.get(g.email) >= 200 && status.get(g.email) < 300))) {
      const code = await postStatus(retryUrl, d);
      assert.equal(code, 200, `retry of ${d.email}`);
      status.set(d.email, code);
    }
    await waitFor(() => genuine.every((d) => contactsByEmail(emulator).has(d.email)), 90000, 200);
    const counts = contactsByEmail(emulator);
    for (const d of genuine) assert.equal(counts.get(d.email), 1, `${d.email} is one contact`);
    for (const d of forged) assert.equal(counts.has(d.email), false, `${d.email} (forged) never reached the CRM`);
    assert.equal(counts.size, genuine.length);
    assert.ok(ackedBeforeCrash.length >= 80);

    const file = path.join(userDir, 'sales-webhooks.db');
    await waitFor(async () => (await logList(nodeRed, { state: 'delivered' })).length === genuine.length, 30000, 200);
    await nodeRed.stop();
    await withStore(file, async (store) => {
      const stored = (await store.list({ limit: 1000 })).filter((r) => r.state !== 'rejected');
      assert.equal(stored.length, genuine.length, 'one delivery per lead: retries were duplicates');
      assert.ok(
        stored.every((r) => r.state === 'delivered'),
        JSON.stringify(stored.filter((r) => r.state !== 'delivered').slice(0, 3)),
      );
      const emails = new Set(stored.flatMap((r) => r.leads.map((l) => l.email)));
      for (const email of ackedBeforeCrash) assert.ok(emails.has(email), `${email} shows delivered in the log`);
      assert.ok(
        stored.some((r) => r.attempt >= 2),
        'some deliveries were emitted again after the restart',
      );
      const rejected = await store.list({ state: 'rejected', limit: 1000 });
      assert.ok(rejected.length >= 1 && rejected.every((r) => r.statusCode === 401));
    });
  });

  it('a CRM down longer than the retries: deliveries end failed; replaying them once it is back delivers each once', async function () {
    emulator = await startCrmEmulator();
    nodeRed = await startNodeRed();
    await nodeRed.deploy(leadsFlow(emulator));
    emulator.fault({ status: 503, forMs: 600000, match: /contacts/ });
    const url = `${nodeRed.url}/webhooks/leads`;
    const batch = Array.from({ length: 5 }, (_, i) => delivery(`down-${i}@example.com`));
    for (const d of batch) assert.equal(await postStatus(url, d), 200);
    await waitFor(async () => (await logList(nodeRed, { state: 'failed' })).length === batch.length, 30000, 200);
    assert.equal(emulator.hubspot.contacts.size, 0);

    emulator.clearFaults();
    const replay = await fetch(`${nodeRed.url}/sales-webhooks/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ state: 'failed' }),
    });
    assert.equal((await replay.json()).replayed, batch.length);
    // The node finds the replay requests on its next look (a few seconds at most).
    await waitFor(() => batch.every((d) => contactsByEmail(emulator).has(d.email)), 30000, 200);
    await waitFor(async () => (await logList(nodeRed, { state: 'delivered' })).length === batch.length, 15000, 200);
    const counts = contactsByEmail(emulator);
    for (const d of batch) assert.equal(counts.get(d.email), 1);
    await nodeRed.stop();
    await withStore(path.join(nodeRed.userDir, 'sales-webhooks.db'), async (store) => {
      for (const row of await store.list({ state: 'delivered' })) {
        const record = await store.get(row.id);
        assert.equal(record.replay, true);
        assert.ok(
          record.crm.some((c) => c.system === 'hubspot' && c.recordId),
          JSON.stringify(record.crm),
        );
      }
    });
  });
});
