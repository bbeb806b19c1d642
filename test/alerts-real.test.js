'use strict';
// The alert node in a real Node-RED process (default settings, package installed): an inbox that cannot write,
// a CRM that starts failing and recovers, a quiet node, a flood of forged posts, kill -9 and restarts.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { startCrmEmulator } = require('./support/crm-emulator');
const { leadsToCrmFlow, signedLead, postStatus, contactId } = require('./support/leads-load');

const SECRET = 'alerts-test-secret';

/** Alert nodes write each message as a JSON line, so the test reads what a mail or Slack node would get. */
function alertNodes(userDir) {
  const file = path.join(userDir, 'alerts.jsonl');
  const writer = (id, z) => ({
    id,
    type: 'file',
    z,
    filename: file,
    filenameType: 'str',
    appendNewline: true,
    createDir: false,
    overwriteFile: 'false',
    encoding: 'none',
    wires: [],
  });
  return {
    file,
    nodes: [
      {
        id: 'alert',
        type: 'sales-webhook alert',
        z: 'tab',
        kinds: ['delivery-failed', 'rejections', 'store-unavailable'],
        scope: 'all',
        rejections: 20,
        version: 1,
        wires: [['alert-file']],
      },
      writer('alert-file', 'tab'),
      { id: 'quiet-tab', type: 'tab', label: 'quiet' },
      {
        id: 'quiet-in',
        type: 'sales-webhook in',
        z: 'quiet-tab',
        url: '/webhooks/quiet',
        source: 'src',
        maxBytes: 1048576,
        version: 2,
        wires: [[], []],
      },
      // Fractions of a minute: 1.2 s of silence is "quiet" here; only this flow's nodes are watched.
      {
        id: 'quiet-alert',
        type: 'sales-webhook alert',
        z: 'quiet-tab',
        kinds: ['quiet'],
        scope: 'flow',
        quietMinutes: 0.02,
        version: 1,
        wires: [['quiet-file']],
      },
      writer('quiet-file', 'quiet-tab'),
    ],
  };
}

const readAlerts = (file) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];

async function openProblems(nodeRed) {
  const res = await fetch(`${nodeRed.url}/sales-webhooks/alerts`);
  assert.equal(res.status, 200);
  return (await res.json()).problems;
}

/** A tab with an HMAC-signed receiving node at /webhooks/leads whose first output goes to `next`. */
const hmacReceiver = (label, next) => [
  { id: 'tab', type: 'tab', label },
  { id: 'src', type: 'sales-webhook-source', provider: 'hmac', prefix: 'sha256=', credentials: { secret: SECRET } },
  {
    id: 'in',
    type: 'sales-webhook in',
    z: 'tab',
    url: '/webhooks/leads',
    source: 'src',
    maxBytes: 1048576,
    version: 2,
    wires: [next, []],
  },
];

describe('sales-webhook alert in a real Node-RED', function () {
  this.timeout(90000);
  let emulator;
  let nodeRed;
  let userDir;
  let alerts;
  let flow;
  const inboxPath = () => path.join(userDir, 'sales-webhooks.db');
  const post = (email, options) => postStatus(`${nodeRed.url}/webhooks/leads`, signedLead(email, SECRET, options));

  before(async () => {
    emulator = await startCrmEmulator();
  });
  after(async () => {
    await nodeRed?.remove();
    await emulator?.close();
  });

  it('an inbox that cannot write opens store-unavailable, which survives kill -9 and is resolved at a start where it writes again', async () => {
    nodeRed = await startNodeRed();
    userDir = nodeRed.userDir;
    // The inbox file's name is taken by a directory: the store cannot open it (any user, root included).
    fs.mkdirSync(inboxPath());
    alerts = alertNodes(userDir);
    flow = [...leadsToCrmFlow({ emulator, secret: SECRET }), ...alerts.nodes];
    await nodeRed.deploy(flow);
    assert.equal(await post('first@example.com'), 503, 'the broken inbox refuses to acknowledge');
    await waitFor(() => readAlerts(alerts.file).some((a) => a.kind === 'store-unavailable'), 10000);
    await waitFor(() => readAlerts(alerts.file).filter((a) => a.kind === 'store-unavailable').length === 2, 5000);
    const opened = readAlerts(alerts.file).filter((a) => a.kind === 'store-unavailable');
    assert.deepEqual(
      opened.map((a) => `${a.state} ${a.node}`).sort(),
      ['open in', 'open quiet-in'],
      'one per node on the inbox',
    );
    assert.match(opened[0].text, /cannot store deliveries/);
    assert.deepEqual(
      (await openProblems(nodeRed)).map((p) => p.kind),
      ['store-unavailable', 'store-unavailable'],
    );

    nodeRed.process.kill('SIGKILL');
    await nodeRed.stop();
    fs.rmdirSync(inboxPath()); // fixed while Node-RED was down
    nodeRed = await startNodeRed({ userDir });
    await waitFor(() => readAlerts(alerts.file).filter((a) => a.state === 'resolved').length === 2, 10000);
    const storeAlerts = readAlerts(alerts.file).filter((a) => a.kind === 'store-unavailable');
    assert.deepEqual(
      storeAlerts.map((a) => `${a.state} ${a.node}`).sort(),
      ['open in', 'open quiet-in', 'resolved in', 'resolved quiet-in'],
      'resolved once at start, never opened again',
    );
    assert.deepEqual(await openProblems(nodeRed), []);
  });

  it('a quiet node opens quiet, only for the alert node of its flow', async () => {
    await waitFor(() => readAlerts(alerts.file).some((a) => a.kind === 'quiet'), 10000);
    const quiet = readAlerts(alerts.file).filter((a) => a.kind === 'quiet');
    assert.equal(quiet.length, 1, 'one message, however long it stays quiet');
    assert.equal(quiet[0].node, 'quiet-in');
    assert.match(quiet[0].text, /has received no delivery/);
  });

  it('a CRM that starts failing opens exactly one delivery-failed; 25 forged posts open rejections', async () => {
    assert.equal(await post('works@example.com'), 200);
    await waitFor(() => contactId(emulator, 'works@example.com'), 10000);
    emulator.fault({ status: 500, forMs: 120000 });
    for (let i = 0; i < 5; i++) assert.equal(await post(`failing${i}@example.com`), 200);
    await waitFor(
      async () => (await openProblems(nodeRed)).find((p) => p.kind === 'delivery-failed')?.count === 5,
      15000,
    );
    const failed = readAlerts(alerts.file).filter((a) => a.kind === 'delivery-failed');
    assert.equal(failed.length, 1, 'one message for five failures');
    assert.equal(failed[0].state, 'open');
    assert.equal(failed[0].node, 'in');
    assert.doesNotMatch(JSON.stringify(failed), /failing\d@example\.com/, 'no personal data in the alert');

    const statuses = [];
    for (let i = 0; i < 25; i++) statuses.push(await post(`forged${i}@example.com`, { forged: true }));
    assert.ok(
      statuses.every((s) => s === 401 || s === 403),
      `refused: ${[...new Set(statuses)]}`,
    );
    await waitFor(() => readAlerts(alerts.file).some((a) => a.kind === 'rejections'), 5000);
    const rejections = readAlerts(alerts.file).filter((a) => a.kind === 'rejections');
    assert.equal(rejections.length, 1);
    assert.equal(rejections[0].count, 20, 'opened at the threshold');
    await waitFor(async () => (await openProblems(nodeRed)).find((p) => p.kind === 'rejections')?.count === 25, 5000);
  });

  it('open problems survive kill -9; the CRM recovering resolves delivery-failed', async () => {
    // A count change is written within 0.1 s (an opening at once): wait until the 25th refusal is on disk.
    const persisted = () => JSON.parse(fs.readFileSync(path.join(userDir, 'sales-webhooks-alerts.json'), 'utf8'));
    await waitFor(() => persisted().alert.problems.find((p) => p.kind === 'rejections')?.count === 25, 2000, 20);
    const before = await openProblems(nodeRed);
    nodeRed.process.kill('SIGKILL');
    await nodeRed.stop();
    const linesBefore = readAlerts(alerts.file).length;
    nodeRed = await startNodeRed({ userDir });
    await waitFor(async () => (await openProblems(nodeRed)).length >= 2, 10000);
    const after = await openProblems(nodeRed);
    for (const kind of ['delivery-failed', 'rejections']) {
      const was = before.find((p) => p.kind === kind);
      const is = after.find((p) => p.kind === kind);
      assert.ok(is, `${kind} is still open after kill -9: ${JSON.stringify(after)}`);
      assert.equal(is.since, was.since);
      assert.equal(is.count, was.count);
    }
    assert.deepEqual(
      readAlerts(alerts.file)
        .slice(linesBefore)
        .filter((a) => a.kind !== 'quiet'),
      [],
      'nothing announced again at start',
    );

    emulator.clearFaults();
    assert.equal(await post('recovered@example.com'), 200);
    await waitFor(
      () => readAlerts(alerts.file).some((a) => a.kind === 'delivery-failed' && a.state === 'resolved'),
      15000,
    );
    const failed = readAlerts(alerts.file).filter((a) => a.kind === 'delivery-failed');
    assert.deepEqual(
      failed.map((a) => a.state),
      ['open', 'resolved'],
    );
    assert.equal(failed[1].count, 5);
    assert.match(failed[1].text, /succeed again/);
    assert.ok(!(await openProblems(nodeRed)).some((p) => p.kind === 'delivery-failed'));
  });
});

describe('sales-webhook alert with the runtime Redis', function () {
  this.timeout(90000);
  const { startRedisServer } = require('./support/redis-server');
  const { createClient } = require('redis');
  let redis;
  const started = [];
  after(async () => {
    for (const nodeRed of started) await nodeRed.remove();
    await redis?.remove();
  });

  it('keeps open problems in the Redis hash, seen by another instance after kill -9; Redis gone opens store-unavailable', async function () {
    redis = await startRedisServer(this);
    const settings = `module.exports = { salesWebhooks: { inbox: { redis: { url: ${JSON.stringify(redis.url)}, prefix: 'alerts-test' } } } };\n`;
    const first = await startNodeRed({ settings });
    started.push(first);
    const { nodes, file } = alertNodes(first.userDir);
    const flow = [...hmacReceiver('leads', []), { ...nodes[0], rejections: 3 }, nodes[1]];
    await first.deploy(flow);
    for (let i = 0; i < 3; i++)
      await postStatus(`${first.url}/webhooks/leads`, signedLead(`f${i}@example.com`, SECRET, { forged: true }));
    await waitFor(() => readAlerts(file).some((a) => a.kind === 'rejections'), 5000);
    const client = createClient({ url: redis.url });
    await client.connect();
    const stored = JSON.parse(await client.hGet('alerts-test:alerts', 'alert'));
    await client.quit();
    assert.deepEqual(
      stored.problems.map((p) => p.kind),
      ['rejections'],
      'in the hash, not beside a file',
    );
    assert.equal(fs.existsSync(path.join(first.userDir, 'sales-webhooks-alerts.json')), false);
    first.process.kill('SIGKILL');
    await first.stop();

    // Another instance (its own user directory) on the same Redis knows the problem.
    const second = await startNodeRed({ settings });
    started.push(second);
    await second.deploy(flow);
    await waitFor(async () => (await openProblems(second)).some((p) => p.kind === 'rejections'), 10000);

    await redis.kill();
    await waitFor(async () => (await openProblems(second)).some((p) => p.kind === 'store-unavailable'), 20000);
  });
});

describe('sales-webhook alert: backlog', function () {
  this.timeout(60000);
  let nodeRed;
  after(async () => {
    await nodeRed?.remove();
  });

  it('a delivery a slow flow holds past Backlog after opens backlog, resolved once the flow has finished with it', async () => {
    nodeRed = await startNodeRed();
    const { nodes, file } = alertNodes(nodeRed.userDir);
    await nodeRed.deploy([
      ...hmacReceiver('slow', ['slow']),
      // A plain flow: the delivery is settled once the delay node has passed it on, 4 s later.
      {
        id: 'slow',
        type: 'delay',
        z: 'tab',
        pauseType: 'delay',
        timeout: '4',
        timeoutUnits: 'seconds',
        rate: '1',
        nbRateUnits: '1',
        rateUnits: 'second',
        randomFirst: '1',
        randomLast: '5',
        randomUnits: 'seconds',
        drop: false,
        wires: [[]],
      },
      // 1.2 s is "too long" here.
      { ...nodes[0], kinds: ['backlog'], backlogMinutes: 0.02 },
      nodes[1],
    ]);
    assert.equal(await postStatus(`${nodeRed.url}/webhooks/leads`, signedLead('slow@example.com', SECRET)), 200);
    await waitFor(() => readAlerts(file).some((a) => a.kind === 'backlog'), 4000, 50);
    const opened = readAlerts(file);
    assert.equal(opened[0].state, 'open');
    assert.equal(opened[0].count, 1);
    assert.match(opened[0].text, /^1 delivery of "\/webhooks\/leads" is still not settled after 0\.02 minutes\.$/);
    await waitFor(() => readAlerts(file).some((a) => a.kind === 'backlog' && a.state === 'resolved'), 10000, 50);
    assert.deepEqual(
      readAlerts(file).map((a) => `${a.kind} ${a.state}`),
      ['backlog open', 'backlog resolved'],
    );
  });
});

describe('sales-webhook alert: CRM credentials', function () {
  this.timeout(60000);
  const CLIENT_ID = 'alerts-client-id';
  const CLIENT_SECRET = 'alerts-client-secret-5A1F0E2B';
  const REFRESH_TOKEN = 'alerts-refresh-token-5Aep861TSESvWeug';
  let nodeRed;
  let emulator;
  after(async () => {
    await nodeRed?.remove();
    await emulator?.close();
  });

  it('a refused refresh token opens one crm-credentials alert naming the account and the reason, with no secret', async () => {
    emulator = await startCrmEmulator({
      oauth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshTokens: [REFRESH_TOKEN] },
    });
    emulator.revoke(REFRESH_TOKEN, { echo: true }); // the token server even quotes the secrets back
    nodeRed = await startNodeRed();
    const { nodes, file } = alertNodes(nodeRed.userDir);
    const flow = leadsToCrmFlow({
      emulator,
      secret: SECRET,
      account: { name: 'Pipedrive sales', system: 'pipedrive', auth: 'refresh-token', loginUrl: emulator.url },
    }).map((n) =>
      n.id === 'acct'
        ? { ...n, credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN } }
        : n,
    );
    await nodeRed.deploy([...flow, { ...nodes[0], kinds: ['crm-credentials'] }, nodes[1]]);
    for (const email of ['a@example.com', 'b@example.com'])
      assert.equal(await postStatus(`${nodeRed.url}/webhooks/leads`, signedLead(email, SECRET)), 200);
    await waitFor(() => readAlerts(file).some((a) => a.kind === 'crm-credentials'), 10000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const alerts = readAlerts(file);
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.equal(alerts[0].account, 'acct');
    assert.match(alerts[0].text, /refused the credentials of the account "Pipedrive sales": invalid_grant/);
    const everything =
      JSON.stringify(alerts) + fs.readFileSync(path.join(nodeRed.userDir, 'sales-webhooks-alerts.json'));
    for (const secret of [REFRESH_TOKEN, CLIENT_SECRET, REFRESH_TOKEN.toUpperCase()])
      assert.ok(!everything.includes(secret), 'no secret in the alert or its file');
  });
});
