'use strict';
const assert = require('node:assert/strict');
const http = require('node:http');
const express = require('express');
const { helper, loadFlow, postRaw, collect, settle, coreNode } = require('./support/flow');
const send = require('./support/senders');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');
const statusNode = coreNode('common/25-status.js');
const catchNode = coreNode('common/25-catch.js');

const NODES = [webhookInNode, sourceNode, statusNode, catchNode];

function flowFor(provider, { source = {}, node = {}, credentials } = {}) {
  const flow = [
    { id: 'src', type: 'sales-webhook-source', provider, ...source },
    {
      id: 'in',
      type: 'sales-webhook in',
      url: '/hooks/test',
      source: 'src',
      wires: [['accepted'], ['rejected']],
      ...node,
    },
    { id: 'accepted', type: 'helper' },
    { id: 'rejected', type: 'helper' },
    { id: 'watch-status', type: 'status', scope: ['in'], wires: [['statuses']] },
    { id: 'statuses', type: 'helper' },
  ];
  const defaultCredentials = {
    salesmagic: { secret: send.SECRETS.svix },
    'standard-webhooks': { secret: send.SECRETS.svix },
    stripe: { secret: send.SECRETS.stripe },
    recorder: { secret: send.SECRETS.hmac },
    callcall: { secret: send.SECRETS.hmac },
    github: { secret: send.SECRETS.hmac },
    hmac: { secret: send.SECRETS.hmac },
    salescaling: { token: send.SECRETS.token },
    saleassist: { token: send.SECRETS.token },
    'header-token': { token: send.SECRETS.token },
    none: {},
  };
  return { flow, credentials: { src: credentials ?? defaultCredentials[provider] } };
}

describe('sales-webhook in', function () {
  let running;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    if (running) await running.close();
    running = undefined;
    await helper.unload();
  });

  async function start(provider, options) {
    const { flow, credentials } = flowFor(provider, options);
    running = await loadFlow(NODES, flow, credentials);
    return {
      url: `${running.baseUrl}/hooks/test`,
      accepted: helper.getNode('accepted'),
      rejected: helper.getNode('rejected'),
      statuses: helper.getNode('statuses'),
    };
  }

  describe('accepts a genuine delivery from every provider', function () {
    const cases = [
      ['salesmagic', () => send.fixture('salesmagic', 'call.completed'), send.svixHeaders, 'call.completed', true],
      [
        'standard-webhooks',
        () => Buffer.from('{"type":"invoice.paid","id":"evt_1"}'),
        send.standardHeaders,
        'invoice.paid',
        false,
      ],
      [
        'recorder',
        () => send.fixture('recorder', 'recording.created'),
        send.recorderHeaders,
        'recording.created',
        true,
      ],
      [
        'callcall',
        () => send.fixture('callcall', 'customer.qualified'),
        send.callcallHeaders,
        'customer.qualified',
        true,
      ],
      [
        'salescaling',
        () => send.fixture('salescaling', 'meeting_status_changed'),
        send.tokenHeaders,
        'meeting_status_changed',
        true,
      ],
      [
        'saleassist',
        () => send.fixture('saleassist', 'widget_new_conversation'),
        (b) => send.tokenHeaders(b, { contentType: 'application/json; charset=UTF-8' }),
        'widget_new_conversation',
        true,
      ],
      [
        'stripe',
        () => Buffer.from('{"id":"evt_123","object":"event","type":"customer.created","created":1700000000}'),
        send.stripeHeaders,
        'customer.created',
        false,
      ],
      ['github', () => Buffer.from('{"zen":"Keep it logically awesome."}'), send.githubHeaders, 'ping', false],
      ['header-token', () => Buffer.from('{"type":"lead.created"}'), send.tokenHeaders, 'lead.created', false],
    ];
    for (const [provider, body, sign, eventType, known] of cases) {
      it(provider, async function () {
        const { url, accepted, rejected } = await start(provider);
        const bytes = body();
        const headers = sign(bytes);
        const got = collect(accepted);
        const res = await postRaw(url, { body: bytes, headers });
        assert.equal(res.status, 200, res.body);
        assert.deepEqual(res.json, { received: true });
        const [msg] = await got;
        assert.deepEqual(msg.payload, JSON.parse(bytes.toString()));
        assert.equal(msg.topic, eventType);
        assert.equal(msg.webhook.provider, provider);
        assert.equal(msg.webhook.eventType, eventType);
        assert.equal(msg.webhook.verified, true);
        assert.equal(msg.webhook.known, known);
        assert.ok(!Number.isNaN(Date.parse(msg.webhook.receivedAt)));
        for (const [name, value] of Object.entries(headers)) {
          if (/signature|token/.test(name)) assert.equal(msg.webhook.headers[name], '[redacted]', name);
          else assert.equal(msg.webhook.headers[name], value);
        }
        rejected.on('input', () => assert.fail('nothing should be rejected'));
        await settle(50);
      });
    }

    it('generic hmac with sha512, base64 and an id in the signed content', async function () {
      const { url, accepted } = await start('hmac', {
        source: {
          signatureHeader: 'x-signature',
          algorithm: 'sha512',
          encoding: 'base64',
          prefix: '',
          template: '{id}:{body}',
          idHeader: 'x-delivery-id',
        },
      });
      const body = Buffer.from('{"event":"deal.won","amount":1200}');
      const got = collect(accepted);
      const res = await postRaw(url, {
        body,
        headers: {
          'content-type': 'application/json',
          'x-delivery-id': 'd-42',
          'x-signature': send.hmac('sha512', send.SECRETS.hmac, `d-42:${body}`, 'base64'),
        },
      });
      assert.equal(res.status, 200, res.body);
      const [msg] = await got;
      assert.equal(msg.webhook.eventId, 'd-42');
    });

    it("the event id is the body's id where there is one, else the signed delivery id", async function () {
      const { url, accepted } = await start('salesmagic');
      const body = send.fixture('salesmagic', 'org.updated');
      const got = collect(accepted);
      await postRaw(url, { body, headers: send.svixHeaders(body, { id: 'msg_2abc' }) });
      const [msg] = await got;
      assert.equal(msg.webhook.eventId, JSON.parse(body).id);
      assert.equal(msg.webhook.occurredAt, JSON.parse(body).timestamp);
      await running.close();
      await helper.unload();
      const generic = await start('standard-webhooks');
      const withoutId = Buffer.from('{"type":"ping"}');
      const next = collect(generic.accepted);
      await postRaw(generic.url, {
        body: withoutId,
        headers: send.standardHeaders(withoutId, { id: 'msg_only_header' }),
      });
      assert.equal((await next)[0].webhook.eventId, 'msg_only_header');
    });
  });

  describe('verifies the exact bytes', function () {
    it('accepts a body with unicode, tabs and CRLF that would not survive re-serialising', async function () {
      const { url, accepted } = await start('salesmagic');
      const body = Buffer.from(
        '{\r\n\t"type": "user.created",\r\n\t"id": "u1",\r\n\t"payload": {"user": {"id": "u-7", "name": "Zoë \u2028 Łukasz 日本 \ud83d\ude80", "email": "zoe@example.com"}},\r\n\t"timestamp": "2025-01-14T04:51:39.885530709"\r\n}\r\n',
      );
      assert.notEqual(JSON.stringify(JSON.parse(body.toString())), body.toString());
      const got = collect(accepted);
      const res = await postRaw(url, { body, headers: send.svixHeaders(body) });
      assert.equal(res.status, 200, res.body);
      const [msg] = await got;
      assert.equal(msg.payload.payload.user.name, 'Zoë \u2028 Łukasz 日本 \ud83d\ude80');
    });

    it('answers 401 to the same body with one byte changed', async function () {
      const { url, rejected } = await start('salesmagic');
      const body = send.fixture('salesmagic', 'call.completed');
      const headers = send.svixHeaders(body);
      const tampered = Buffer.from(body);
      tampered[tampered.indexOf('"title"') + 2] ^= 1;
      const got = collect(rejected);
      const res = await postRaw(url, { body: tampered, headers });
      assert.equal(res.status, 401);
      assert.ok(res.json.error);
      const [msg] = await got;
      assert.equal(msg.payload.statusCode, 401);
      assert.equal(msg.payload.provider, 'salesmagic');
      assert.equal(msg.payload.headers['svix-signature'], '[redacted]');
    });

    it('accepts the recorder platform signing JSON.stringify(payload), as its documented example does', async function () {
      const { url, accepted } = await start('recorder');
      const body = send.fixture('recorder', 'recording.transcript.ready');
      const got = collect(accepted);
      const res = await postRaw(url, { body, headers: send.recorderDocumentedExampleHeaders(body) });
      assert.equal(res.status, 200, res.body);
      await got;
    });

    it('accepts the previous secret while rotating, and neither once it is cleared', async function () {
      const { url } = await start('salesmagic', {
        credentials: { secret: send.SECRETS.svix, previousSecret: send.SECRETS.previousSvix },
      });
      const body = send.fixture('salesmagic', 'user.created');
      assert.equal(
        (await postRaw(url, { body, headers: send.svixHeaders(body, { secret: send.SECRETS.previousSvix }) })).status,
        200,
      );
      assert.equal(
        (
          await postRaw(url, {
            body,
            headers: send.svixHeaders(body, {
              secret: 'whsec_' + Buffer.from('someone else entirely').toString('base64'),
            }),
          })
        ).status,
        401,
      );
      await running.close();
      running = undefined;
      await helper.unload();
      const only = await start('salesmagic', { credentials: { secret: send.SECRETS.svix } });
      assert.equal(
        (await postRaw(only.url, { body, headers: send.svixHeaders(body, { secret: send.SECRETS.previousSvix }) }))
          .status,
        401,
      );
    });

    for (const [direction, offsetSeconds] of [
      ['too old', -301],
      ['in the future', 301],
    ]) {
      it(`rejects a timestamp ${direction} and accepts one just inside the tolerance`, async function () {
        const { url } = await start('salesmagic');
        const body = send.fixture('salesmagic', 'user.deleted');
        const outside = new Date(Date.now() + offsetSeconds * 1000);
        const res = await postRaw(url, { body, headers: send.svixHeaders(body, { timestamp: outside }) });
        assert.equal(res.status, 401);
        const inside = new Date(Date.now() + Math.sign(offsetSeconds) * 290 * 1000);
        assert.equal(
          (await postRaw(url, { body, headers: send.svixHeaders(body, { timestamp: inside }) })).status,
          200,
        );
      });
    }

    it('a forged request that reuses the event id of an accepted one is still a 401', async function () {
      const { url, accepted, rejected } = await start('salesmagic');
      const body = send.fixture('salesmagic', 'call.completed');
      const headers = send.svixHeaders(body, { id: 'msg_reused' });
      const first = collect(accepted);
      assert.equal((await postRaw(url, { body, headers })).status, 200);
      await first;
      const forged = Buffer.from(body.toString().replace('"title"', '"titlE"'));
      const forgedHeaders = send.svixHeaders(forged, {
        id: 'msg_reused',
        secret: 'whsec_' + Buffer.from('attacker').toString('base64'),
      });
      const got = collect(rejected);
      const res = await postRaw(url, { body: forged, headers: forgedHeaders });
      assert.equal(res.status, 401);
      assert.equal((await got)[0].payload.statusCode, 401);
    });

    it('rejects a missing or wrong header token', async function () {
      const { url } = await start('saleassist');
      const body = send.fixture('saleassist', 'widget_new_conversation');
      assert.equal((await postRaw(url, { body, headers: { 'content-type': 'application/json' } })).status, 401);
      assert.equal((await postRaw(url, { body, headers: send.tokenHeaders(body, { token: 'wrong' }) })).status, 401);
    });
  });

  describe('answers every bad request and keeps running', function () {
    it('400 for an authentic body that is not JSON, or not an object', async function () {
      const { url, rejected } = await start('recorder');
      for (const text of ['{"event": "recording.created",', '[1,2,3]', '"just a string"']) {
        const body = Buffer.from(text);
        const got = collect(rejected);
        const res = await postRaw(url, { body, headers: send.recorderHeaders(body) });
        assert.equal(res.status, 400, text);
        assert.match(res.json.error, /JSON/);
        assert.equal((await got)[0].payload.statusCode, 400);
      }
    });

    it('413 for a declared body over the limit, without reading it', async function () {
      const { url, rejected } = await start('salesmagic', { node: { maxBytes: 1000 } });
      const body = Buffer.alloc(5000, 'a');
      const got = collect(rejected);
      const res = await postRaw(url, { body, headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 413);
      assert.equal((await got)[0].payload.statusCode, 413);
    });

    it('413 for a chunked body that grows past the limit, and stops reading', async function () {
      const { url } = await start('salesmagic', { node: { maxBytes: 64 * 1024 } });
      const result = await new Promise((resolve, reject) => {
        const req = http.request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        });
        let written = 0;
        let answered;
        req.on('response', (res) => {
          answered = res.statusCode;
          res.resume();
          res.on('end', () => resolve({ status: answered, written }));
        });
        req.on('error', (err) => (answered ? resolve({ status: answered, written }) : reject(err)));
        const chunk = Buffer.alloc(16 * 1024, 'x');
        const pump = () => {
          // 64 MiB at most: loopback socket buffers absorb a few MiB, a server that kept reading would take it all.
          while (!answered && written < 64 * 1024 * 1024) {
            written += chunk.length;
            if (!req.write(chunk)) return req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      assert.equal(result.status, 413);
      assert.ok(result.written < 32 * 1024 * 1024, `the sender could write ${result.written} bytes`);
    });

    it('415 for a body that is not declared as JSON; accepts application/*+json', async function () {
      const { url } = await start('saleassist');
      const body = send.fixture('saleassist', 'widget_new_conversation');
      for (const contentType of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const res = await postRaw(url, { body, headers: send.tokenHeaders(body, { contentType }) });
        assert.equal(res.status, 415, contentType);
      }
      const noType = await postRaw(url, { body, headers: { 'x-webhook-token': send.SECRETS.token } });
      assert.equal(noType.status, 415);
      const vendor = await postRaw(url, {
        body,
        headers: send.tokenHeaders(body, { contentType: 'application/vnd.saleassist+json' }),
      });
      assert.equal(vendor.status, 200);
    });

    it('405 with Allow: POST for any other method', async function () {
      const { url, rejected } = await start('saleassist');
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const got = collect(rejected);
        const res = await postRaw(url, { method, body: '' });
        assert.equal(res.status, 405, method);
        assert.equal(res.headers.allow, 'POST');
        assert.equal((await got)[0].payload.statusCode, 405);
      }
    });

    it('never puts a secret or the body into a log line, a status or output 2', async function () {
      const logged = [];
      const { url, rejected, statuses } = await start('saleassist');
      const body = send.fixture('saleassist', 'widget_new_conversation');
      const seen = [];
      rejected.on('input', (m) => seen.push(JSON.stringify(m)));
      statuses.on('input', (m) => seen.push(JSON.stringify(m.status)));
      await postRaw(url, { body, headers: send.tokenHeaders(body, { token: send.SECRETS.token + 'x' }) });
      await postRaw(url, { body: Buffer.from('not json'), headers: send.tokenHeaders(body) });
      await settle(400);
      for (const event of helper.log().args) logged.push(JSON.stringify(event));
      const everything = seen.concat(logged).join('\n');
      assert.ok(seen.length >= 2);
      assert.ok(!everything.includes(send.SECRETS.token), 'the token leaked');
      assert.ok(!everything.includes('prakashm@athenabpo.in'), 'the body leaked');
    });
  });

  describe('schemas', function () {
    it('acknowledges an authentic event that fails its schema and sends the issues to output 2', async function () {
      const { url, accepted, rejected } = await start('saleassist');
      const event = JSON.parse(send.fixture('saleassist', 'widget_new_conversation'));
      event.payload.people_detail.email = 42;
      const body = Buffer.from(JSON.stringify(event));
      accepted.on('input', () => assert.fail('an invalid event must not reach output 1'));
      const got = collect(rejected);
      const res = await postRaw(url, { body, headers: send.tokenHeaders(body) });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { received: true, valid: false });
      const [msg] = await got;
      assert.ok(
        msg.payload.issues.some((issue) => issue.startsWith('payload.people_detail.email: ') && /string/.test(issue)),
        msg.payload.issues.join('; '),
      );
      assert.deepEqual(msg.payload.event, event);
      assert.equal(msg.webhook.eventType, 'widget_new_conversation');
      await settle(50);
    });

    it('passes an authentic event of an undocumented type with known = false', async function () {
      const { url, accepted } = await start('callcall');
      const body = Buffer.from(
        JSON.stringify({
          id: 'evt_9',
          type: 'customer.archived',
          created: '2025-02-07T02:55:00Z',
          data: {},
          version: '2024-01-01',
        }),
      );
      const got = collect(accepted);
      assert.equal((await postRaw(url, { body, headers: send.callcallHeaders(body) })).status, 200);
      const [msg] = await got;
      assert.equal(msg.webhook.known, false);
      assert.equal(msg.topic, 'customer.archived');
    });
  });

  describe('duplicates', function () {
    it('the same delivery posted three times produces one message and the status counts the repeats', async function () {
      const { url, accepted, statuses } = await start('saleassist');
      const body = send.fixture('saleassist', 'widget_new_conversation');
      const headers = send.tokenHeaders(body);
      let count = 0;
      accepted.on('input', () => count++);
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await postRaw(url, { body, headers })).json);
      assert.deepEqual(answers, [
        { received: true },
        { received: true, duplicate: true },
        { received: true, duplicate: true },
      ]);
      const texts = [];
      statuses.on('input', (m) => texts.push(m.status.text));
      await settle(500);
      assert.equal(count, 1);
      assert.match(texts.at(-1), /1 accepted · 0 rejected · 2 duplicates/);
    });

    it('recognises a Svix retry by its event id even when the signature and timestamp change', async function () {
      const { url, accepted } = await start('salesmagic');
      const body = send.fixture('salesmagic', 'user.updated');
      let count = 0;
      accepted.on('input', () => count++);
      await postRaw(url, { body, headers: send.svixHeaders(body, { id: 'msg_retry' }) });
      const retry = await postRaw(url, {
        body,
        headers: send.svixHeaders(body, { id: 'msg_retry', timestamp: new Date(Date.now() + 5000) }),
      });
      assert.deepEqual(retry.json, { received: true, duplicate: true });
      await settle(100);
      assert.equal(count, 1);
    });

    it('can be switched off', async function () {
      const { url, accepted } = await start('saleassist', { node: { dedupe: false } });
      const body = send.fixture('saleassist', 'widget_new_conversation');
      const got = collect(accepted, 2);
      await postRaw(url, { body, headers: send.tokenHeaders(body) });
      await postRaw(url, { body, headers: send.tokenHeaders(body) });
      assert.equal((await got).length, 2);
    });
  });

  describe('configuration', function () {
    it('an empty secret is reported at deploy with a red status, and deliveries get 503', async function () {
      const { url, statuses } = await start('salesmagic', { credentials: { secret: '' } });
      const node = helper.getNode('in');
      const warnings = helper
        .log()
        .args.filter((a) => a[0].level === helper.log().WARN || a[0].level === 30)
        .map((a) => a[0].msg);
      assert.ok(
        warnings.some((m) => /Source settings cannot verify deliveries: the secret is empty/.test(String(m))),
        JSON.stringify(warnings),
      );
      const res = await postRaw(url, { body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 503);
      assert.ok(node);
      statuses.removeAllListeners('input');
    });

    it('"none" verifies nothing, warns at deploy and shows a yellow status', async function () {
      const { url, accepted } = await start('none');
      const warnings = helper.log().args.map((a) => String(a[0].msg));
      assert.ok(warnings.some((m) => /verifies nothing: anyone who knows the URL/.test(String(m))));
      const got = collect(accepted);
      assert.equal(
        (await postRaw(url, { body: '{"anything":1}', headers: { 'content-type': 'application/json' } })).status,
        200,
      );
      assert.equal((await got)[0].webhook.verified, false);
    });

    it('two nodes on one path: the second says so and stays inert', async function () {
      const { flow, credentials } = flowFor('saleassist');
      flow.push({ id: 'in2', type: 'sales-webhook in', url: '/hooks/test', source: 'src', wires: [[], []] });
      running = await loadFlow(NODES, flow, credentials);
      const warnings = helper.log().args.map((a) => String(a[0].msg));
      assert.ok(
        warnings.some((m) => /already listens on/.test(String(m))),
        warnings.join('\n'),
      );
    });

    it('removes its route when the flow stops', async function () {
      const { url } = await start('saleassist');
      const body = send.fixture('saleassist', 'widget_new_conversation');
      assert.equal((await postRaw(url, { body, headers: send.tokenHeaders(body) })).status, 200);
      await helper.unload();
      assert.equal((await postRaw(url, { body, headers: send.tokenHeaders(body) })).status, 404);
    });
  });

  describe('route settings', function () {
    afterEach(() => helper.settings({}));

    it('answers under a mounted httpNodeRoot even when a JSON body parser runs first on the root app', async function () {
      // Mirrors a real Node-RED: the admin app, with its body parser, shares the root app with httpNode.
      const { flow, credentials } = flowFor('salesmagic');
      const rootApp = express();
      rootApp.use(express.json());
      const server = http.createServer(rootApp);
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      try {
        // Mounted before the flow starts, as Node-RED mounts httpNode under httpNodeRoot.
        await helper.load(
          [
            (RED) => {
              rootApp.use('/api/', RED.httpNode);
              return webhookInNode(RED);
            },
            sourceNode,
          ],
          flow,
          credentials,
        );
        const body = send.fixture('salesmagic', 'call.completed');
        const got = collect(helper.getNode('accepted'));
        const res = await postRaw(`http://127.0.0.1:${server.address().port}/api/hooks/test`, {
          body,
          headers: send.svixHeaders(body),
        });
        assert.equal(res.status, 200, res.body);
        assert.equal((await got)[0].topic, 'call.completed');
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('runs httpNodeMiddleware before the node, and a request it refuses never reaches the node', async function () {
      const calls = [];
      helper.settings({
        httpNodeMiddleware: (req, res, next) => {
          calls.push(req.url);
          if (req.headers['x-blocked']) {
            res.statusCode = 403;
            return res.end('blocked');
          }
          next();
        },
      });
      const { url, accepted } = await start('saleassist');
      const body = send.fixture('saleassist', 'widget_new_conversation');
      const got = collect(accepted);
      assert.equal((await postRaw(url, { body, headers: send.tokenHeaders(body) })).status, 200);
      await got;
      assert.equal(
        (await postRaw(url, { body, headers: { ...send.tokenHeaders(body), 'x-blocked': '1' } })).status,
        403,
      );
      assert.equal(calls.length, 2);
    });

    it('answers CORS preflight requests when httpNodeCors is set', async function () {
      helper.settings({ httpNodeCors: { origin: 'https://app.example.com', methods: 'POST' } });
      const { url } = await start('saleassist');
      const res = await postRaw(url, {
        method: 'OPTIONS',
        body: '',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com');
      const body = send.fixture('saleassist', 'widget_new_conversation');
      const post = await postRaw(url, {
        body,
        headers: { ...send.tokenHeaders(body), origin: 'https://app.example.com' },
      });
      assert.equal(post.status, 200);
      assert.equal(post.headers['access-control-allow-origin'], 'https://app.example.com');
    });
  });
});
