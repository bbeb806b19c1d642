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

/** Waits until the file holds an alert of `kind`: the flow writes it a moment after the problem is counted. */
const alertWritten = (file, kind, timeoutMs = 5000, intervalMs) =>
  waitFor(() => readAlerts(file).some((a) => a.kind === kind), timeoutMs, intervalMs);

async function openProblems(nodeRed, token) {
  const res = await fetch(`${nodeRed.url}/sales-webhooks/alerts`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  assert.equal(res.status, 200);
  return (await res.json()).problems;
}

/** "Replay these" as the sidebar asks for it: POST sales-webhooks/alerts/replay `{ key, dryRun? }`. */
async function replayProblem(nodeRed, key, { dryRun = false, token } = {}) {
  const res = await fetch(`${nodeRed.url}/sales-webhooks/alerts/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(dryRun ? { key, dryRun } : { key }),
  });
  const text = await res.text();
  return { status: res.status, json: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
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
    await alertWritten(alerts.file, 'store-unavailable', 10000);
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
    await alertWritten(alerts.file, 'quiet', 10000);
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
    await alertWritten(alerts.file, 'delivery-failed');
    // Counted again at the end of the test: a second message would come later.
    const failedAlerts = () => readAlerts(alerts.file).filter((a) => a.kind === 'delivery-failed');
    const failed = failedAlerts();
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
    await alertWritten(alerts.file, 'rejections');
    const rejections = readAlerts(alerts.file).filter((a) => a.kind === 'rejections');
    assert.equal(rejections.length, 1);
    assert.equal(rejections[0].count, 20, 'opened at the threshold');
    await waitFor(async () => (await openProblems(nodeRed)).find((p) => p.kind === 'rejections')?.count === 25, 5000);
    assert.equal(failedAlerts().length, 1, 'still one message for the five failures');
  });

  it("open problems survive kill -9; once the CRM recovers, 'Replay these' delivers the failed leads and resolves delivery-failed", async () => {
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
    const problem = (await openProblems(nodeRed)).find((p) => p.kind === 'delivery-failed');
    assert.equal(problem.replayable, true);
    assert.ok(!(await openProblems(nodeRed)).find((p) => p.kind === 'rejections').replayable, 'refusals: no button');
    // A plain HTML form from another site cannot ask for it (the package's admin guard).
    const form = await fetch(`${nodeRed.url}/sales-webhooks/alerts/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `key=${encodeURIComponent(problem.key)}`,
    });
    assert.equal(form.status, 415);
    const crossSite = await fetch(`${nodeRed.url}/sales-webhooks/alerts/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      body: JSON.stringify({ key: problem.key }),
    });
    assert.equal(crossSite.status, 403);
    assert.deepEqual((await replayProblem(nodeRed, problem.key, { dryRun: true })).json, { matching: 5, replayed: 0 });
    for (let i = 0; i < 5; i++) assert.equal(contactId(emulator, `failing${i}@example.com`), undefined);
    assert.deepEqual((await replayProblem(nodeRed, problem.key)).json, { matching: 5, replayed: 5 });
    await waitFor(() => [0, 1, 2, 3, 4].every((i) => contactId(emulator, `failing${i}@example.com`)), 15000);
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
    // All stopped before any directory goes: the second writes its alerts' file into the first's directory.
    for (const nodeRed of started) await nodeRed.stop();
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
    await alertWritten(file, 'rejections');
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
    await alertWritten(file, 'backlog', 4000, 50);
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
    await alertWritten(file, 'crm-credentials', 10000);
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

describe('sales-webhook alert: deliveries whose attempts run out, replayed with adminAuth', function () {
  this.timeout(60000);
  const { logSettings, login } = require('./support/delivery-log');
  let nodeRed;
  after(async () => {
    await nodeRed?.remove();
  });

  it("counts them toward delivery-failed by node and reason; 'Replay these' needs sales-webhooks.write, then replays them", async () => {
    nodeRed = await startNodeRed({ settings: logSettings({ auth: true }) });
    const admin = await login(nodeRed.url, 'admin');
    const { nodes, file } = alertNodes(nodeRed.userDir);
    const [tab, source, receiver] = hmacReceiver('attempts', ['hold']);
    await nodeRed.deploy(
      [
        tab,
        source,
        // 0.6 s leases, two emissions: a delivery nobody settles is failed by its store about 2 s after it arrived.
        { ...receiver, leaseMinutes: 0.01, maxAttempts: 2 },
        // Settles only replays: the first emissions are held until their attempts run out.
        {
          id: 'hold',
          type: 'function',
          z: 'tab',
          func: 'return msg.webhook.replay ? msg : null;',
          outputs: 1,
          wires: [['settle']],
        },
        { id: 'settle', type: 'sales-webhook settle', z: 'tab', version: 1, wires: [[]] },
        { ...nodes[0], kinds: ['delivery-failed'] },
        nodes[1],
      ],
      { token: admin },
    );
    for (const email of ['held1@example.com', 'held2@example.com'])
      assert.equal(await postStatus(`${nodeRed.url}/webhooks/leads`, signedLead(email, SECRET)), 200);
    await waitFor(
      async () => (await openProblems(nodeRed, admin)).find((p) => p.kind === 'delivery-failed')?.count === 2,
      20000,
    );
    await alertWritten(file, 'delivery-failed');
    const opened = readAlerts(file);
    assert.deepEqual(
      opened.map((a) => `${a.state} ${a.kind} ${a.node}`),
      ['open delivery-failed in'],
    );
    assert.match(opened[0].text, /not settled after 2 attempts/);
    const [problem] = await openProblems(nodeRed, admin);

    const anonymous = await replayProblem(nodeRed, problem.key, { dryRun: true });
    assert.equal(anonymous.status, 401);
    const refused = await replayProblem(nodeRed, problem.key, { token: await login(nodeRed.url, 'reader') });
    assert.equal(refused.status, 403);
    assert.match(refused.json.error, /You need the sales-webhooks.write permission to replay/);
    assert.deepEqual((await replayProblem(nodeRed, 'no such problem', { token: admin })).status, 409);

    assert.deepEqual((await replayProblem(nodeRed, problem.key, { token: admin, dryRun: true })).json, {
      matching: 2,
      replayed: 0,
    });
    assert.deepEqual((await replayProblem(nodeRed, problem.key, { token: admin })).json, { matching: 2, replayed: 2 });
    await waitFor(() => readAlerts(file).some((a) => a.state === 'resolved'), 10000);
    assert.deepEqual(
      readAlerts(file).map((a) => `${a.state} ${a.count}`),
      ['open 1', 'resolved 2'],
    );
  });
});

describe('sales-webhook alert with a Redis config node', function () {
  this.timeout(90000);
  const { startRedisServer } = require('./support/redis-server');
  const { createClient } = require('redis');
  let redis;
  let nodeRed;
  after(async () => {
    await nodeRed?.remove();
    await redis?.remove();
  });
  /** The kinds the alert node's field of the hash `cfg-alerts:alerts` holds. */
  async function storedKinds() {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      return (JSON.parse((await client.hGet('cfg-alerts:alerts', 'alert')) ?? 'null')?.problems ?? []).map(
        (p) => p.kind,
      );
    } finally {
      await client.quit();
    }
  }

  it('keeps open problems in that Redis (where the watched node keeps its inbox); they survive kill -9 and a restart', async function () {
    redis = await startRedisServer(this);
    nodeRed = await startNodeRed();
    const { nodes, file } = alertNodes(nodeRed.userDir);
    const [tab, source, receiver] = hmacReceiver('leads', []);
    const flow = [
      tab,
      source,
      { id: 'redis', type: 'sales-webhook-redis', url: redis.url, prefix: 'cfg-alerts', tls: false },
      { ...receiver, inbox: true, store: 'redis' },
      // Saved before "Keep open problems in" existed (version 1): automatic.
      { ...nodes[0], kinds: ['rejections'], rejections: 3 },
      nodes[1],
    ];
    await nodeRed.deploy(flow);
    const post = (email) => postStatus(`${nodeRed.url}/webhooks/leads`, signedLead(email, SECRET, { forged: true }));
    // 503 until the store has connected; then the forged posts are refused.
    await waitFor(async () => [401, 403].includes(await post('f0@example.com')), 10000);
    for (let i = 1; i < 3; i++) await post(`f${i}@example.com`);
    await alertWritten(file, 'rejections');
    await waitFor(async () => (await storedKinds()).length > 0, 3000);
    assert.deepEqual(await storedKinds(), ['rejections']);
    assert.equal(fs.existsSync(path.join(nodeRed.userDir, 'sales-webhooks-alerts.json')), false, 'not beside a file');
    const before = (await openProblems(nodeRed)).find((p) => p.kind === 'rejections');

    nodeRed.process.kill('SIGKILL');
    await nodeRed.stop();
    const linesBefore = readAlerts(file).length;
    nodeRed = await startNodeRed({ userDir: nodeRed.userDir });
    await waitFor(async () => (await openProblems(nodeRed)).some((p) => p.kind === 'rejections'), 10000);
    const after = (await openProblems(nodeRed)).find((p) => p.kind === 'rejections');
    assert.equal(after.since, before.since);
    assert.equal(after.count, before.count);
    assert.deepEqual(readAlerts(file).slice(linesBefore), [], 'nothing announced again at start');
    assert.deepEqual(await storedKinds(), ['rejections'], 'still in the hash after the start');
  });

  it('a restart while that Redis is away loses nothing: read once it is back, before anything is written there', async () => {
    const { since } = (await openProblems(nodeRed)).find((p) => p.kind === 'rejections');
    nodeRed.process.kill('SIGKILL');
    await nodeRed.stop();
    await redis.stop();
    nodeRed = await startNodeRed({ userDir: nodeRed.userDir });
    // Nothing is known of the last run while Redis is away (and nothing is written over it).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(
      (await openProblems(nodeRed)).map((p) => p.kind),
      [],
    );
    await redis.start();
    await waitFor(async () => (await openProblems(nodeRed)).some((p) => p.kind === 'rejections'), 15000);
    assert.equal((await openProblems(nodeRed)).find((p) => p.kind === 'rejections').since, since);
    await waitFor(async () => (await storedKinds()).length > 0, 3000);
    assert.deepEqual(await storedKinds(), ['rejections'], 'written back once read');
  });

  it("chosen explicitly ('a Redis store'), keeps them there though the watched node's inbox is the file; read after the start check, they get that check too", async () => {
    const { nodes, file } = alertNodes(nodeRed.userDir);
    const [tab, source, receiver] = hmacReceiver('leads', []);
    const inboxPath = path.join(nodeRed.userDir, 'sales-webhooks.db');
    fs.mkdirSync(inboxPath); // the embedded inbox cannot open: its node's store is unavailable
    const linesBefore = readAlerts(file).length;
    await nodeRed.deploy([
      tab,
      source,
      { id: 'redis', type: 'sales-webhook-redis', url: redis.url, prefix: 'cfg-alerts', tls: false },
      { ...receiver, inbox: true }, // the embedded inbox: "automatic" would keep problems beside its file
      { ...nodes[0], kinds: ['store-unavailable'], version: 2, keepIn: 'redis-node', problemStore: 'redis' },
      nodes[1],
    ]);
    await waitFor(
      () =>
        readAlerts(file)
          .slice(linesBefore)
          .some((a) => a.kind === 'store-unavailable'),
      10000,
    );
    await waitFor(async () => (await storedKinds()).includes('store-unavailable'), 3000);
    assert.deepEqual(await storedKinds(), ['store-unavailable'], "the last flow's rejections ended quietly");
    assert.equal(fs.existsSync(path.join(nodeRed.userDir, 'sales-webhooks-alerts.json')), false, 'not beside a file');

    // Fixed while Node-RED is down; Redis comes back only after the alert node's start check ran without it.
    nodeRed.process.kill('SIGKILL');
    await nodeRed.stop();
    fs.rmdirSync(inboxPath);
    await redis.stop();
    const linesAtStart = readAlerts(file).length;
    nodeRed = await startNodeRed({ userDir: nodeRed.userDir });
    await waitFor(() => /open problems of the last run cannot be read/.test(nodeRed.logs()), 15000);
    await redis.start();
    await waitFor(
      () =>
        readAlerts(file)
          .slice(linesAtStart)
          .some((a) => a.kind === 'store-unavailable' && a.state === 'resolved'),
      20000,
    );
    assert.deepEqual(
      readAlerts(file)
        .slice(linesAtStart)
        .map((a) => `${a.state} ${a.kind} ${a.node}`),
      ['resolved store-unavailable in'],
    );
    assert.deepEqual(await openProblems(nodeRed), []);
    await waitFor(async () => (await storedKinds()).length === 0, 3000);
  });
});
