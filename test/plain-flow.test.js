'use strict';
// A flow with no CRM and no settle node, in a real Node-RED process (default settings, the package installed): a
// delivery is settled `handled` only once every node its messages reached has finished with them, so kill -9 while a
// slow flow works loses nothing that was answered 2xx; a failure after the 200 fails the delivery with its reason.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { signedBody, signedLead, postStatus } = require('./support/leads-load');

const SECRET = 'plain-flow-hmac-secret-7c3d';

/** sales webhook → `middle` nodes → file node appending each lead's e-mail (one line per message). */
function plainFlow(file, { middle, url = '/webhooks/plain', extraNodes = [] }) {
  return [
    { id: 'tab', type: 'tab', label: 'plain' },
    { id: 'src', type: 'sales-webhook-source', provider: 'hmac', prefix: 'sha256=', credentials: { secret: SECRET } },
    {
      id: 'in',
      type: 'sales-webhook in',
      z: 'tab',
      url,
      source: 'src',
      dedupe: true,
      dedupeHours: 24,
      version: 1,
      wires: [middle.map((n) => n.id), []],
    },
    ...middle,
    {
      id: 'to-file',
      type: 'file',
      z: 'tab',
      filename: file,
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'none',
      wires: [[]],
    },
    ...extraNodes,
  ];
}

/** A function node that keeps the lead's e-mail as the payload, taking `busyMs` of CPU per message. */
const emailOf = (id, busyMs = 0) => ({
  id,
  type: 'function',
  z: 'tab',
  func: `const until = Date.now() + ${busyMs}; while (Date.now() < until) {}\nmsg.payload = msg.payload.payload.people_detail.email;\nreturn msg;`,
  outputs: 1,
  wires: [['to-file']],
});

/** A delivery of these exact bytes, signed as signedLead signs. */
const signed = (body) => signedBody(body, SECRET);

const linesOf = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

async function deliveries(nodeRed, query = '') {
  const res = await fetch(`${nodeRed.url}/sales-webhooks/deliveries?limit=1000${query}`);
  assert.equal(res.status, 200);
  return (await res.json()).deliveries;
}

/** A delay node holding each message for 2 s before the file node. */
const holdTwoSeconds = {
  id: 'hold-two-seconds',
  type: 'delay',
  z: 'tab',
  pauseType: 'delay',
  timeout: '2',
  timeoutUnits: 'seconds',
  wires: [['to-file']],
};

/**
 * The deliveries, after checking that every one settled `handled` so far is `written` in the file (read after the
 * states, so nothing written in between can hide an early settlement).
 */
async function assertHandledOnlyOnceWritten(nodeRed, file, written) {
  const list = await deliveries(nodeRed);
  const handled = await Promise.all(
    list
      .filter((d) => d.state === 'handled')
      .map(async (d) => {
        const record = await (await fetch(`${nodeRed.url}/sales-webhooks/deliveries/${d.id}`)).json();
        return JSON.parse(record.body).payload.people_detail.email;
      }),
  );
  const lines = linesOf(file);
  assert.deepEqual(
    handled.filter((email) => !written(email, lines)),
    [],
    'handled before what carries it reached the file',
  );
  return list;
}

/** The reason the failed delivery of the list settled with. */
async function failureOf(nodeRed, list) {
  const failed = list.find((d) => d.state === 'failed');
  const record = await (await fetch(`${nodeRed.url}/sales-webhooks/deliveries/${failed.id}`)).json();
  return record.settlements.map((s) => s.reason ?? '').join(' ');
}

describe('a plain flow (no CRM, no settle node), in a real Node-RED', function () {
  this.timeout(120000);
  let nodeRed;
  afterEach(async () => {
    await nodeRed?.remove();
    nodeRed = undefined;
  });

  it('kill -9 while a slow flow works: every delivery answered 2xx reaches the file node two nodes down, and ends handled', async function () {
    nodeRed = await startNodeRed();
    const file = path.join(nodeRed.userDir, 'leads.txt');
    await nodeRed.deploy(plainFlow(file, { middle: [emailOf('slow', 8)] }));
    const url = `${nodeRed.url}/webhooks/plain`;

    const queue = Array.from({ length: 1500 }, (_, i) => signedLead(`plain-${i}@example.com`, SECRET));
    const acknowledged = new Set();
    let next = 0;
    let killed = false;
    const killTimer = setTimeout(() => {
      killed = true;
      nodeRed.process.kill('SIGKILL');
    }, 3000);
    // Sixty senders at a time: Node-RED answers faster than the 8 ms function node drains its queue.
    await Promise.all(
      Array.from({ length: 60 }, async () => {
        while (next < queue.length && !killed) {
          const d = queue[next++];
          const code = await postStatus(url, d);
          if (code >= 200 && code < 300) acknowledged.add(d.email);
        }
      }),
    );
    clearTimeout(killTimer);
    await new Promise((resolve) =>
      nodeRed.process.exitCode !== null ? resolve() : nodeRed.process.once('exit', resolve),
    );
    assert.ok(killed, 'Node-RED was killed mid-run');
    const inFileAtKill = new Set(linesOf(file));
    assert.ok(acknowledged.size > 0, 'some deliveries were acknowledged');
    const missingAtKill = [...acknowledged].filter((email) => !inFileAtKill.has(email));
    assert.ok(missingAtKill.length > 0, 'the kill caught acknowledged deliveries still waiting in the flow');

    // Restart on the same user directory: what was acknowledged but not handled is emitted again.
    const userDir = nodeRed.userDir;
    nodeRed = await startNodeRed({ userDir });
    await waitFor(
      () => {
        const lines = new Set(linesOf(file));
        return [...acknowledged].every((email) => lines.has(email));
      },
      60000,
      200,
    ).catch(() => {
      const lines = new Set(linesOf(file));
      const lost = [...acknowledged].filter((email) => !lines.has(email));
      assert.fail(`${lost.length} of ${acknowledged.size} acknowledged deliveries never reached the file`);
    });
    // Handled, not delivered: no CRM was involved.
    await waitFor(async () => (await deliveries(nodeRed, '&state=received')).length === 0, 30000, 200);
    const states = new Set((await deliveries(nodeRed)).map((d) => d.state));
    assert.deepEqual([...states], ['handled']);
  });

  it('a join holding deliveries: none is handled before the joined message reached the file; kill -9 while held, restart, all reach it', async function () {
    nodeRed = await startNodeRed();
    const file = path.join(nodeRed.userDir, 'joined.txt');
    // Five leads become one message (their e-mails, one per line), or fewer after 3 s; a delay holds the joined message.
    const join = {
      id: 'join-five',
      type: 'join',
      z: 'tab',
      mode: 'custom',
      build: 'string',
      property: 'payload',
      propertyType: 'msg',
      joiner: '\\n',
      joinerType: 'str',
      count: '5',
      timeout: '3',
      wires: [['hold-two-seconds']],
    };
    const email = { ...emailOf('email'), wires: [['join-five']] };
    await nodeRed.deploy(plainFlow(file, { middle: [email], extraNodes: [join, holdTwoSeconds] }));
    const url = `${nodeRed.url}/webhooks/plain`;

    const leads = Array.from({ length: 7 }, (_, i) => signedLead(`joined-${i}@example.com`, SECRET));
    for (const lead of leads) assert.equal(await postStatus(url, lead), 200);
    // Five are joined and wait in the delay (the joined message has the fifth's _msgid), two wait in the join.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await assertHandledOnlyOnceWritten(nodeRed, file, (email, lines) => lines.includes(email));
    assert.ok(linesOf(file).length < 7, 'the kill comes while the join or the delay holds deliveries');

    nodeRed.process.kill('SIGKILL');
    await new Promise((resolve) =>
      nodeRed.process.exitCode !== null ? resolve() : nodeRed.process.once('exit', resolve),
    );
    const userDir = nodeRed.userDir;
    nodeRed = await startNodeRed({ userDir });
    const emails = leads.map((lead) => lead.email);
    await waitFor(() => emails.every((e) => linesOf(file).includes(e)), 30000, 200).catch(() => {
      const lost = emails.filter((e) => !linesOf(file).includes(e));
      assert.fail(`${lost.length} of 7 acknowledged deliveries never reached the file: ${lost.join(', ')}`);
    });
    await waitFor(async () => (await deliveries(nodeRed)).every((d) => d.state === 'handled'), 15000, 200);
  });

  it('a trigger (sends the latest after 1 s) and a split: each delivery is handled only once what that node sent reached the file', async function () {
    nodeRed = await startNodeRed();
    const file = path.join(nodeRed.userDir, 'held.txt');
    const trigger = {
      id: 'latest-after-1s',
      type: 'trigger',
      z: 'tab',
      op1type: 'nul',
      op2type: 'payl',
      duration: '1',
      units: 's',
      extend: false,
      bytopic: 'all',
      outputs: 1,
      wires: [['hold-two-seconds']],
    };
    const twoParts = {
      id: 'two-parts',
      type: 'function',
      z: 'tab',
      func: 'const email = msg.payload.payload.people_detail.email;\nmsg.payload = [email + "#1", email + "#2"];\nreturn msg;',
      outputs: 1,
      wires: [['split-parts']],
    };
    const split = { id: 'split-parts', type: 'split', z: 'tab', property: 'payload', wires: [['hold-two-seconds']] };
    const splitReceiver = {
      id: 'in-split',
      type: 'sales-webhook in',
      z: 'tab',
      url: '/webhooks/split',
      source: 'src',
      version: 1,
      wires: [['two-parts'], []],
    };
    const email = { ...emailOf('email'), wires: [['latest-after-1s']] };
    await nodeRed.deploy(
      plainFlow(file, { middle: [email], extraNodes: [trigger, holdTwoSeconds, twoParts, split, splitReceiver] }),
    );
    const blocked = ['first@example.com', 'second@example.com', 'latest@example.com'];
    for (const e of blocked)
      assert.equal(await postStatus(`${nodeRed.url}/webhooks/plain`, signedLead(e, SECRET)), 200);
    assert.equal(await postStatus(`${nodeRed.url}/webhooks/split`, signedLead('parts@example.com', SECRET)), 200);

    // The trigger sends only the latest: the others' deliveries ride on it. The split's parts both count.
    const written = (email, lines) =>
      blocked.includes(email)
        ? lines.includes('latest@example.com')
        : lines.includes(`${email}#1`) && lines.includes(`${email}#2`);
    // Checked every 100 ms until all are handled: no early settlement goes unseen.
    const deadline = Date.now() + 20000;
    for (;;) {
      const states = (await assertHandledOnlyOnceWritten(nodeRed, file, written)).map((d) => d.state);
      if (states.every((state) => state === 'handled')) break;
      assert.ok(Date.now() < deadline, `still not all handled: ${states.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(linesOf(file).sort(), ['latest@example.com', 'parts@example.com#1', 'parts@example.com#2']);
  });

  it('a body too deeply nested to be copied for a second wire fails its delivery with the reason; a normal one is handled', async function () {
    nodeRed = await startNodeRed();
    const file = path.join(nodeRed.userDir, 'two-wires.txt');
    await nodeRed.deploy(plainFlow(file, { middle: [emailOf('first'), emailOf('second')] }));
    const url = `${nodeRed.url}/webhooks/plain`;

    const event = JSON.parse(signedLead('deep@example.com', SECRET).body);
    // Deeper than any stack (3,000 levels can be copied once V8 has optimised the copying code); spliced in as text,
    // since JSON.stringify cannot write it either.
    event.payload.nested = 'NESTED';
    const nested = '{"a":'.repeat(20000) + '1' + '}'.repeat(20000);
    assert.equal(await postStatus(url, signed(JSON.stringify(event).replace('"NESTED"', nested))), 200);
    assert.equal(await postStatus(url, signedLead('normal@example.com', SECRET)), 200);

    await waitFor(async () => (await deliveries(nodeRed, '&state=received')).length === 0, 15000, 100);
    const list = await deliveries(nodeRed);
    const states = list.map((d) => d.state).sort();
    assert.deepEqual(states, ['failed', 'handled'], JSON.stringify(list));
    assert.match(await failureOf(nodeRed, list), /could not be copied/);
  });

  it('a node that fails on the message fails its delivery with the error, never handled', async function () {
    nodeRed = await startNodeRed();
    const file = path.join(nodeRed.userDir, 'throws.txt');
    const thrower = {
      id: 'thrower',
      type: 'function',
      z: 'tab',
      func: "if (msg.payload.payload.people_detail.email.startsWith('bad')) throw new Error('no room for this lead');\nreturn msg;",
      outputs: 1,
      wires: [['to-file']],
    };
    await nodeRed.deploy(plainFlow(file, { middle: [thrower] }));
    const url = `${nodeRed.url}/webhooks/plain`;
    assert.equal(await postStatus(url, signedLead('bad@example.com', SECRET)), 200);
    assert.equal(await postStatus(url, signedLead('good@example.com', SECRET)), 200);
    await waitFor(async () => (await deliveries(nodeRed, '&state=received')).length === 0, 15000, 100);
    const list = await deliveries(nodeRed);
    assert.deepEqual(list.map((d) => d.state).sort(), ['failed', 'handled'], JSON.stringify(list));
    assert.match(await failureOf(nodeRed, list), /no room for this lead/);
  });
});
