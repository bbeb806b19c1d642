'use strict';
// Issue 10 in a real Node-RED process with default settings and this package installed: routes next to the admin
// app, sockets and bodies from hostile or broken senders.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const undici = require('undici');
const WebSocket = require('ws');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { postRaw } = require('./support/flow');
const { startCrmEmulator } = require('./support/crm-emulator');
const { hmacSource, hubspotOutNodes, contactId, signedBody } = require('./support/leads-load');
const send = require('./support/senders');

const TOKEN = send.SECRETS.token;
const JSON_TOKEN_HEADERS = { 'content-type': 'application/json', 'x-webhook-token': TOKEN };
const readLines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** Nodes that write "<node id> <fill> <text>" for every status of the webhook nodes, and outputs to files. */
function statusAndOutputs(dir) {
  return [
    { id: 'watch-statuses', type: 'status', z: 'tab', scope: null, wires: [['status-format']] },
    {
      id: 'status-format',
      type: 'change',
      z: 'tab',
      rules: [
        {
          t: 'set',
          p: 'payload',
          pt: 'msg',
          to: 'status.source.id & " " & $string(status.fill) & " " & $string(status.text)',
          tot: 'jsonata',
        },
      ],
      wires: [['status-file']],
    },
    {
      id: 'status-file',
      type: 'file',
      z: 'tab',
      filename: path.join(dir, 'status.txt'),
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'utf8',
      wires: [[]],
    },
    {
      id: 'out-format',
      type: 'change',
      z: 'tab',
      rules: [
        { t: 'set', p: 'payload', pt: 'msg', to: '$string(topic) & " " & $string(payload.statusCode)', tot: 'jsonata' },
      ],
      wires: [['out-file']],
    },
    {
      id: 'out-file',
      type: 'file',
      z: 'tab',
      filename: path.join(dir, 'out.txt'),
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'utf8',
      wires: [[]],
    },
  ];
}

const tab = { id: 'tab', type: 'tab', label: 'hardening' };
// The status node must exist before the nodes it watches: a status set while a node is created reaches only status nodes created earlier.
const tokenSource = { id: 'src', type: 'sales-webhook-source', provider: 'saleassist', credentials: { token: TOKEN } };
const webhookNode = (id, url, extra = {}) => ({
  id,
  type: 'sales-webhook in',
  z: 'tab',
  url,
  source: 'src',
  maxBytes: 1048576,
  dedupe: false,
  wires: [['out-format'], ['out-format']],
  ...extra,
});

/** Declares `declared` bytes, sends `sent` of them and stalls. Returns { done: Promise<{status, body, error}>, req }. */
function partialPost(url, { declared, sent, headers = JSON_TOKEN_HEADERS }) {
  const req = http.request(url, { method: 'POST', agent: false, headers: { ...headers, 'content-length': declared } });
  const done = new Promise((resolve) => {
    const result = { status: undefined, body: '', error: undefined };
    req.on('response', (res) => {
      result.status = res.statusCode;
      res.on('data', (c) => {
        result.body += c;
      });
      res.on('end', () => resolve(result));
      res.on('error', () => resolve(result));
    });
    req.on('error', (err) => {
      result.error = err.code;
      resolve(result);
    });
  });
  req.write(Buffer.alloc(sent, 0x20));
  return { done, req };
}

/**
 * A raw socket that sends a chunked request whose body never ends. Resolves with the status line it read and
 * whether the server closed the connection within `waitMs` (the client never closes it).
 */
function endlessBody(port, { method, contentType, waitMs = 15000 }) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let writer;
    const finish = (serverClosed) => {
      clearInterval(writer);
      clearTimeout(timer);
      socket.destroy();
      resolve({ statusLine: answer.split('\r\n')[0], serverClosed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d) => {
      answer += d;
    });
    socket.on('end', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(
      `${method} /webhooks/stall HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nX-Webhook-Token: ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const chunk = `10000\r\n${' '.repeat(0x10000)}\r\n`;
    writer = setInterval(() => {
      if (!socket.destroyed) socket.write(chunk);
    }, 5);
  });
}

describe('issue 10 in a real Node-RED with default settings', function () {
  this.timeout(90000);
  let nodeRed;
  before(async function () {
    nodeRed = await startNodeRed();
  });
  after(async () => {
    if (!nodeRed) return;
    await nodeRed.remove();
  });

  describe('defect 6: a body declared too large gets a 413 the sender can read', function () {
    before(async () => {
      await nodeRed.deploy([
        tab,
        ...statusAndOutputs(nodeRed.userDir),
        tokenSource,
        webhookNode('in', '/webhooks/big'),
      ]);
    });
    // 4 MiB: past what loopback socket buffers absorb, so a server that closes early shows as a reset.
    const big = Buffer.alloc(4 * 1024 * 1024, 0x20);

    it('undici fetch reads the 413 instead of a network error', async function () {
      const res = await undici.fetch(`${nodeRed.url}/webhooks/big`, {
        method: 'POST',
        body: big,
        headers: JSON_TOKEN_HEADERS,
      });
      assert.equal(res.status, 413);
      assert.match((await res.json()).error, /larger than 1048576 bytes/);
    });

    it('http.request reads the 413, declared or chunked', async function () {
      const declared = await postRaw(`${nodeRed.url}/webhooks/big`, { body: big, headers: JSON_TOKEN_HEADERS });
      assert.equal(declared.status, 413);
      const chunked = await new Promise((resolve, reject) => {
        const req = http.request(
          `${nodeRed.url}/webhooks/big`,
          { method: 'POST', headers: JSON_TOKEN_HEADERS },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          },
        );
        req.on('error', reject);
        for (let i = 0; i < 64; i++) req.write(Buffer.alloc(64 * 1024, 0x20));
        req.end();
      });
      assert.equal(chunked, 413);
    });
  });

  describe('defect 7: bodies that stall, and refused requests with endless bodies', function () {
    before(async () => {
      await nodeRed.deploy([
        tab,
        ...statusAndOutputs(nodeRed.userDir),
        tokenSource,
        webhookNode('in', '/webhooks/stall', { bodyTimeout: 1 }),
        webhookNode('in-patient', '/webhooks/patient', { bodyTimeout: 60 }),
      ]);
    });

    it('a body that stops arriving gets 408 and its socket closed', async function () {
      const stalled = Array.from({ length: 20 }, () =>
        partialPost(`${nodeRed.url}/webhooks/stall`, { declared: 1048576, sent: 900 * 1024 }),
      );
      for (const result of await Promise.all(stalled.map((s) => s.done))) {
        assert.equal(result.status, 408, JSON.stringify(result));
        assert.match(result.body, /did not arrive in time/);
      }
    });

    it('unfinished bodies beyond the process-wide cap get 503 with Retry-After', async function () {
      const requests = Array.from({ length: 80 }, () =>
        partialPost(`${nodeRed.url}/webhooks/patient`, { declared: 1048576, sent: 1000 * 1024 }),
      );
      const answered = [];
      requests.forEach((r, i) =>
        r.done.then((result) => {
          answered[i] = result;
        }),
      );
      try {
        // 64 MiB of them are held (their senders stall, the body time is 60 s); the rest are refused at once.
        await waitFor(() => answered.filter((r) => r?.status === 503).length >= 10, 20000, 50);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const statuses = requests.map((_, i) => answered[i]?.status ?? null);
        assert.ok(
          statuses.filter((s) => s === null).length >= 60,
          `the bodies under the cap are still being read: ${statuses}`,
        );
        assert.ok(
          statuses.every((s) => s === null || s === 503),
          JSON.stringify(statuses),
        );
        assert.ok(answered.filter(Boolean).every((r) => /retry later/.test(r.body)));
      } finally {
        for (const r of requests) r.req.destroy();
      }
    });

    for (const [label, method, contentType, status] of [
      ['405 (wrong method)', 'PUT', 'application/json', 405],
      ['415 (not JSON)', 'POST', 'text/plain', 415],
    ]) {
      it(`${label} answers and then closes a socket whose body never ends`, async function () {
        const result = await endlessBody(nodeRed.port, { method, contentType });
        assert.match(result.statusLine, new RegExp(`^HTTP/1.1 ${status} `));
        assert.ok(result.serverClosed, 'the server closed the connection instead of reading the endless body');
      });
    }
  });

  /** Deploys only what changed (the editor's default): untouched nodes keep running. */
  async function deployChangedNodes(flow) {
    const before = nodeRed.logs().split('Started modified nodes').length;
    const res = await fetch(`${nodeRed.url}/flows`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'Node-RED-Deployment-Type': 'nodes',
        'Node-RED-API-Version': 'v1',
      },
      body: JSON.stringify(flow),
    });
    assert.ok(res.ok, `deploy failed: ${res.status}`);
    await waitFor(() => nodeRed.logs().split('Started modified nodes').length > before, 15000, 20);
  }
  /**
   * The status the editor would show for each node, as "<id> <fill> <text>": read from the runtime's comms socket,
   * which replays the latest status of every node (a status set while a node is created reaches no status node).
   */
  function editorStatuses() {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${nodeRed.url.replace('http', 'ws')}/comms`);
      const latest = {};
      socket.on('open', () => socket.send(JSON.stringify({ subscribe: 'status/#' })));
      socket.on('message', (data) => {
        for (const { topic, data: status } of [].concat(JSON.parse(String(data)))) {
          if (topic?.startsWith('status/')) latest[topic.slice(7)] = `${topic.slice(7)} ${status.fill} ${status.text}`;
        }
      });
      socket.on('error', reject);
      setTimeout(() => {
        socket.close();
        resolve(latest);
      }, 300);
    });
  }
  let statuses = {};
  const lastStatus = (id) => statuses[id];
  const waitForStatus = (predicate) =>
    waitFor(async () => {
      statuses = await editorStatuses();
      return predicate();
    });

  describe('a signed event too deeply nested for Node-RED to copy', function () {
    const HMAC_SECRET = 'hardening-real-hmac-secret-51c0';
    const source = hmacSource(HMAC_SECRET, 'hmac-src');
    // Node-RED copies a message for the second of two wires.
    const twoWires = ['a', 'b'].map((x) => ({
      id: `deep-next-${x}`,
      type: 'function',
      z: 'tab',
      func: 'return null;',
      outputs: 1,
      wires: [[]],
    }));
    // Deeper than any stack: 3,000 levels could be copied once V8 had optimised the copying code (smaller frames).
    const nested = `${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`;
    const signedPost = (body, route = 'deep') => {
      const { headers } = signedBody(body, HMAC_SECRET);
      return postRaw(`${nodeRed.url}/webhooks/${route}`, { body: Buffer.from(body), headers });
    };

    it('split into leads one of which fails: the failure is reported with the reason, Node-RED keeps running, the next delivery is delivered', async function () {
      // The failing lead's message goes to two wires of output 2 and to a Catch node: Node-RED copies it for each.
      // Sent after the first 25 leads (a later turn of the event loop), the copy's fault ended Node-RED.
      await nodeRed.deploy([
        tab,
        source,
        { ...webhookNode('deep-in', '/webhooks/deep', { source: 'hmac-src' }), wires: [['deep-map'], []] },
        {
          id: 'deep-map',
          type: 'sales-lead-map',
          z: 'tab',
          property: 'payload',
          mappings: [{ field: 'email', path: 'people[*].email', type: 'email', required: true }],
          split: true,
          splitPath: 'people[*]',
          version: 1,
          wires: [['deep-settle'], ['deep-next-a', 'deep-next-b']],
        },
        { id: 'deep-settle', type: 'sales-webhook settle', z: 'tab', wires: [[]] },
        ...twoWires,
        { id: 'deep-catch', type: 'catch', z: 'tab', scope: ['deep-map'], uncaught: false, wires: [['deep-next-a']] },
      ]);
      const people = Array.from({ length: 60 }, (_, i) =>
        i === 59 ? { name: 'no e-mail' } : { email: `p${i}@example.com` },
      );
      const deep = await signedPost(`{"event":"webinar.ended","people":${JSON.stringify(people)},"nested":${nested}}`);
      assert.equal(deep.status, 200, deep.body);
      await waitFor(
        () => /Node-RED could not copy the message for output 2 or a Catch node/.test(nodeRed.logs()),
        10000,
      ).catch(() =>
        assert.fail(`nothing reported; exit code ${nodeRed.process.exitCode}:\n${nodeRed.logs().slice(-800)}`),
      );
      assert.match(nodeRed.logs(), /No lead: email \(people\[\*\]\.email\): required/);
      assert.doesNotMatch(nodeRed.logs(), /Uncaught Exception/);
      assert.equal(nodeRed.process.exitCode, null, 'Node-RED is still running');

      const next = await signedPost(`{"event":"webinar.ended","people":[{"email":"next@example.com"}]}`);
      assert.equal(next.status, 200, next.body);
      await waitFor(async () => {
        const res = await fetch(`${nodeRed.url}/sales-webhooks/deliveries?q=next%40example.com`, {
          headers: { accept: 'application/json' },
        });
        return (await res.json()).deliveries.some((d) => d.state === 'delivered');
      }, 10000);
    });

    it('a CRM lead and a settled delivery carrying it: logged after the answer, and Node-RED keeps running', async function () {
      // A mapping row of type json takes the nested value into the lead; crm out's and settle's output 1 go to two
      // wires, and they pass the message on after the CRM's or the store's answer, outside any handler of Node-RED.
      const emulator = await startCrmEmulator();
      try {
        await nodeRed.deploy([
          tab,
          source,
          {
            ...webhookNode('deep-in', '/webhooks/deep', { source: 'hmac-src' }),
            wires: [['deep-map'], []],
          },
          {
            ...webhookNode('deep-in-settled', '/webhooks/deep-settled', { source: 'hmac-src' }),
            wires: [['deep-settle'], []],
          },
          {
            id: 'deep-map',
            type: 'sales-lead-map',
            z: 'tab',
            property: 'payload',
            mappings: [
              { field: 'email', path: 'email', type: 'email', required: true },
              { field: 'raw', path: 'nested', type: 'json' },
            ],
            version: 1,
            wires: [['out'], []],
          },
          ...hubspotOutNodes({ emulator, out: { wires: [['deep-next-a', 'deep-next-b'], []] } }),
          { id: 'deep-settle', type: 'sales-webhook settle', z: 'tab', wires: [['deep-next-a', 'deep-next-b']] },
          ...twoWires,
        ]);
        const body = `{"event":"lead.new","email":"deep@example.com","nested":${nested}}`;
        for (const route of ['deep', 'deep-settled']) {
          const answer = await signedPost(body, route);
          assert.equal(answer.status, 200, answer.body);
        }
        await waitFor(
          () => nodeRed.logs().includes('[sales-crm out:out] The lead is settled, but Node-RED could not copy'),
          10000,
        ).catch(() =>
          assert.fail(`nothing reported; exit code ${nodeRed.process.exitCode}:\n${nodeRed.logs().slice(-800)}`),
        );
        await waitFor(
          () => nodeRed.logs().includes('[sales-webhook settle:deep-settle] The delivery is settled, but'),
          10000,
        );
        assert.ok(contactId(emulator, 'deep@example.com'), 'the lead reached the CRM');
        assert.doesNotMatch(nodeRed.logs(), /Uncaught Exception/);
        assert.equal(nodeRed.process.exitCode, null, 'Node-RED is still running');
        const next = await signedPost('{"event":"lead.new","email":"next@example.com"}');
        assert.equal(next.status, 200, next.body);
        await waitFor(() => contactId(emulator, 'next@example.com'), 10000);
      } finally {
        await emulator.close();
      }
    });
  });

  describe('defects 1, 2 and 10: routes next to the editor', function () {
    const SHADOWING = {
      'admin-flows': '/flows',
      'admin-root': '/',
      'admin-nodes': '/nodes',
      'admin-settings': '/settings',
      'admin-auth': '/auth/login',
      'admin-odd-case': '/FLOWS/',
      'admin-double-slash': '//flows',
      'admin-inject': '/inject/abc',
    };

    it('a path that would hide an admin route is refused at deploy with a red status; the editor keeps working, also after a restart', async function () {
      const flow = [
        tab,
        ...statusAndOutputs(nodeRed.userDir),
        tokenSource,
        { id: 'an-inject', type: 'inject', z: 'tab', repeat: '', once: false, wires: [[]] },
        ...Object.entries(SHADOWING).map(([id, url]) => webhookNode(id, url)),
        webhookNode('fine', '/webhooks/fine'),
      ];
      await nodeRed.deploy(flow);
      await waitForStatus(() => Object.keys(SHADOWING).every((id) => lastStatus(id)));
      for (const id of Object.keys(SHADOWING))
        assert.match(lastStatus(id), new RegExp(`^${id} red .*would hide the Node-RED editor's own`), id);
      assert.match(nodeRed.logs(), /\/flows would hide the Node-RED editor's own \/flows routes/);

      const checkEditor = async () => {
        const flows = await fetch(`${nodeRed.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
        assert.equal(flows.status, 200);
        assert.ok(Array.isArray(await flows.json()));
        const editor = await fetch(`${nodeRed.url}/`);
        assert.equal(editor.status, 200);
        assert.match(await editor.text(), /<title>Node-RED<\/title>/);
        for (const adminPath of ['/settings', '/nodes', '/auth/login', '/FLOWS/']) {
          const res = await fetch(`${nodeRed.url}${adminPath}`, { headers: { accept: 'application/json' } });
          assert.equal(res.status, 200, adminPath);
        }
        const inject = await fetch(`${nodeRed.url}/inject/an-inject`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(inject.status, 200);
      };
      await checkEditor();
      const body = Buffer.from('{"event_type":"x"}');
      assert.equal((await postRaw(`${nodeRed.url}/webhooks/fine`, { body, headers: JSON_TOKEN_HEADERS })).status, 200);

      await nodeRed.stop();
      nodeRed = await startNodeRed({ userDir: nodeRed.userDir });
      await checkEditor();
    });

    it('a URL Express cannot compile is refused before anything is registered, and leaves no ghost route', async function () {
      await nodeRed.deploy([
        tab,
        ...statusAndOutputs(nodeRed.userDir),
        tokenSource,
        webhookNode('bad', '/bad('),
        webhookNode('pattern', '/hooks/:tenant'),
      ]);
      await waitForStatus(() => lastStatus('bad') && lastStatus('pattern'));
      assert.match(lastStatus('bad'), /^bad red \/bad\( is not a plain URL path/);
      assert.match(lastStatus('pattern'), /^pattern red \/hooks\/:tenant is not a plain URL path/);
      const body = Buffer.from('{"event_type":"x"}');
      const ghost = await postRaw(`${nodeRed.url}/bad(`, { body, headers: JSON_TOKEN_HEADERS });
      assert.equal(ghost.status, 404, ghost.body);
      await nodeRed.deploy([tab, ...statusAndOutputs(nodeRed.userDir), tokenSource]);
      assert.equal((await postRaw(`${nodeRed.url}/bad(`, { body, headers: JSON_TOKEN_HEADERS })).status, 404);
    });

    it('two nodes on one path: when the one that answers is removed, the other takes the path over', async function () {
      fs.rmSync(path.join(nodeRed.userDir, 'out.txt'), { force: true });
      const second = { ...webhookNode('second', '/webhooks/shared'), wires: [['second-format'], ['second-format']] };
      const secondOutput = [
        {
          id: 'second-format',
          type: 'change',
          z: 'tab',
          rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'second', tot: 'str' }],
          wires: [['out-file']],
        },
      ];
      const common = [tab, ...statusAndOutputs(nodeRed.userDir), tokenSource, second, ...secondOutput];
      await nodeRed.deploy([webhookNode('first', '/webhooks/shared'), ...common]);
      await waitForStatus(() => lastStatus('second'));
      assert.match(lastStatus('second'), /^second red .*already listens on \/webhooks\/shared/);
      const body = Buffer.from('{"event_type":"x"}');
      assert.equal(
        (await postRaw(`${nodeRed.url}/webhooks/shared`, { body, headers: JSON_TOKEN_HEADERS })).status,
        200,
      );

      await deployChangedNodes(common);
      await waitForStatus(() => /^second green /.test(lastStatus('second'))).catch(() =>
        assert.fail(`${lastStatus('second')}\n${nodeRed.logs().slice(-2000)}`),
      );
      assert.match(lastStatus('second'), /listening on \/webhooks\/shared/);
      const after = await postRaw(`${nodeRed.url}/webhooks/shared`, {
        body: Buffer.from('{"event_type":"y"}'),
        headers: JSON_TOKEN_HEADERS,
      });
      assert.equal(after.status, 200, after.body);
      await waitFor(() => readLines(path.join(nodeRed.userDir, 'out.txt')).includes('second'));
    });
  });
});

describe('defect 11: Send test event posts where the runtime listens', function () {
  this.timeout(60000);
  let nodeRed;
  let previousDispatcher;
  afterEach(async () => {
    if (previousDispatcher) undici.setGlobalDispatcher(previousDispatcher);
    previousDispatcher = undefined;
    if (!nodeRed) return;
    await nodeRed.remove();
    nodeRed = undefined;
  });

  it('over HTTPS on ::1 only', async function () {
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'nr-sales-webhooks-tls-'));
    require('node:child_process').execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    // The test's own fetch must accept the self-signed certificate too.
    previousDispatcher = undici.getGlobalDispatcher();
    undici.setGlobalDispatcher(new undici.Agent({ connect: { rejectUnauthorized: false } }));
    nodeRed = await startNodeRed({
      userDir: dir,
      settings: `const fs = require('fs'); module.exports = { uiHost: '::1', https: { key: fs.readFileSync(${JSON.stringify(path.join(dir, 'key.pem'))}), cert: fs.readFileSync(${JSON.stringify(path.join(dir, 'cert.pem'))}) } };`,
      origin: (port) => `https://[::1]:${port}`,
    });
    await nodeRed.deploy([
      { id: 'tab', type: 'tab' },
      { id: 'src', type: 'sales-webhook-source', provider: 'salesmagic', credentials: { secret: send.SECRETS.svix } },
      { id: 'in', type: 'sales-webhook in', z: 'tab', url: '/webhooks/salesmagic', source: 'src', wires: [[], []] },
    ]);
    const res = await fetch(`${nodeRed.url}/sales-webhook-in/in/send-test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const answer = await res.json();
    assert.equal(res.status, 200, JSON.stringify(answer));
    assert.equal(answer.status, 200, JSON.stringify(answer));
    assert.match(answer.url, /^https:\/\/\[::1\]:\d+\/webhooks\/salesmagic$/);
    const forged = await (
      await fetch(`${nodeRed.url}/sales-webhook-in/in/send-test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"tamper":true}',
      })
    ).json();
    assert.equal(forged.status, 401);
  });
});
