'use strict';
// The receiving path in a real Node-RED process: default settings put the editor's admin app, with its JSON body
// parser, on the same root path as httpNode; the node must still see the exact bytes.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const bcrypt = require('bcryptjs');
const { startNodeRed, waitFor, nodeRedVersion } = require('./support/real-node-red');
const { postRaw } = require('./support/flow');
const send = require('./support/senders');

/** A flow whose outputs append "<topic> <eventId>" lines to files, so the test can see what the node emitted. */
function receivingFlow(dir, { url = '/webhooks/salesmagic', dedupeStore = '' } = {}) {
  const line = (id, file, wires) => [
    {
      id: `${id}-format`,
      type: 'change',
      z: 'tab',
      rules: [
        {
          t: 'set',
          p: 'payload',
          pt: 'msg',
          to: '$string(topic) & " " & $string(webhook.eventId) & " " & $string(payload.statusCode)',
          tot: 'jsonata',
        },
      ],
      wires: [[`${id}-file`]],
    },
    {
      id: `${id}-file`,
      type: 'file',
      z: 'tab',
      filename: path.join(dir, file),
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'utf8',
      wires: wires ?? [[]],
    },
  ];
  return [
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
      url,
      source: 'src',
      maxBytes: 1048576,
      dedupe: true,
      dedupeHours: 24,
      dedupeLimit: 50000,
      dedupeStore,
      wires: [['accepted-format'], ['rejected-format']],
    },
    ...line('accepted', 'accepted.txt'),
    ...line('rejected', 'rejected.txt'),
  ];
}

const readLines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe(`in a real Node-RED ${nodeRedVersion} (Node.js ${process.versions.node}) with this package installed`, function () {
  this.timeout(60000);
  let nodeRed;
  afterEach(async () => {
    if (nodeRed) {
      await nodeRed.remove();
    }
    nodeRed = undefined;
  });

  it('with default settings: lists both nodes with help and icon, accepts a Svix-signed call.completed, answers 401 to one changed byte', async function () {
    nodeRed = await startNodeRed();
    // Node-RED adds "-git" when the folder above its package is a git checkout (this one, cloned).
    const { version } = await (await fetch(`${nodeRed.url}/settings`)).json();
    assert.equal(version.replace(/-git$/, ''), nodeRedVersion);
    const nodeSets = await (await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'application/json' } })).json();
    const ours = nodeSets.filter((set) => set.module === 'node-red-contrib-sales-webhooks');
    const types = ours.flatMap((set) => set.types);
    assert.ok(types.includes('sales-webhook in') && types.includes('sales-webhook-source'), JSON.stringify(types));
    assert.ok(
      ours.every((set) => set.enabled && !set.err),
      JSON.stringify(ours),
    );
    const editorHtml = await (await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'text/html' } })).text();
    assert.match(editorHtml, /data-help-name="sales-webhook in"/);
    assert.match(editorHtml, /call\.completed/, 'the source help lists the events of each provider');
    const icon = await fetch(`${nodeRed.url}/icons/node-red-contrib-sales-webhooks/sales-webhook.svg`);
    assert.equal(icon.status, 200);

    await nodeRed.deploy(receivingFlow(nodeRed.userDir));
    const body = send.fixture('salesmagic', 'call.completed');
    const headers = send.svixHeaders(body, { id: 'msg_real_1' });
    const ok = await postRaw(`${nodeRed.url}/webhooks/salesmagic`, { body, headers });
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(ok.json, { received: true });

    const tampered = Buffer.from(body);
    tampered[tampered.length - 5] ^= 1;
    const forgedHeaders = send.svixHeaders(body, { id: 'msg_real_2' });
    const forged = await postRaw(`${nodeRed.url}/webhooks/salesmagic`, { body: tampered, headers: forgedHeaders });
    assert.equal(forged.status, 401, forged.body);

    const accepted = path.join(nodeRed.userDir, 'accepted.txt');
    const rejected = path.join(nodeRed.userDir, 'rejected.txt');
    await waitFor(() => readLines(accepted).length === 1 && readLines(rejected).length === 1);
    // The platform's own event id (the body's id) is what msg.webhook.eventId carries.
    assert.deepEqual(readLines(accepted), [`call.completed ${JSON.parse(body).id} `]);
    assert.match(readLines(rejected)[0], / 401$/);
    assert.doesNotMatch(nodeRed.logs(), new RegExp(send.SECRETS.svix.slice(6)));
  });

  it("under httpNodeRoot with httpNodeAuth, through Node-RED's own route chain", async function () {
    const hash = bcrypt.hashSync('hook-pass', 8);
    nodeRed = await startNodeRed({
      settings: `module.exports = { httpNodeRoot: '/hooks', httpNodeAuth: { user: 'sender', pass: ${JSON.stringify(hash)} }, logging: { console: { level: 'info' } } };`,
    });
    await nodeRed.deploy(receivingFlow(nodeRed.userDir));
    const body = send.fixture('salesmagic', 'user.created');
    const url = `${nodeRed.url}/hooks/webhooks/salesmagic`;
    const anonymous = await postRaw(url, { body, headers: send.svixHeaders(body) });
    assert.equal(anonymous.status, 401);
    assert.equal(
      readLines(path.join(nodeRed.userDir, 'rejected.txt')).length,
      0,
      'Node-RED refused it before the node saw it',
    );
    const authorization = 'Basic ' + Buffer.from('sender:hook-pass').toString('base64');
    const ok = await postRaw(url, { body, headers: { ...send.svixHeaders(body, { id: 'msg_auth' }), authorization } });
    assert.equal(ok.status, 200, ok.body);
    await waitFor(() => readLines(path.join(nodeRed.userDir, 'accepted.txt')).length === 1);
    const notUnderRoot = await postRaw(`${nodeRed.url}/webhooks/salesmagic`, {
      body,
      headers: { ...send.svixHeaders(body), authorization },
    });
    assert.notEqual(notUnderRoot.status, 200);
  });

  it('remembers accepted deliveries across a restart with a persistent context store', async function () {
    const settings =
      "module.exports = { contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } } };";
    nodeRed = await startNodeRed({ settings });
    const { userDir } = nodeRed;
    await nodeRed.deploy(receivingFlow(userDir, { dedupeStore: 'file' }));
    const body = send.fixture('salesmagic', 'org.deleted');
    const first = await postRaw(`${nodeRed.url}/webhooks/salesmagic`, {
      body,
      headers: send.svixHeaders(body, { id: 'msg_persist' }),
    });
    assert.deepEqual(first.json, { received: true });
    await nodeRed.stop();

    nodeRed = await startNodeRed({ userDir, settings });
    const again = await postRaw(`${nodeRed.url}/webhooks/salesmagic`, {
      body,
      headers: send.svixHeaders(body, { id: 'msg_persist' }),
    });
    assert.deepEqual(again.json, { received: true, duplicate: true });
    const other = send.fixture('salesmagic', 'org.updated');
    const fresh = await postRaw(`${nodeRed.url}/webhooks/salesmagic`, {
      body: other,
      headers: send.svixHeaders(other, { id: 'msg_new' }),
    });
    assert.deepEqual(fresh.json, { received: true });
  });
});
