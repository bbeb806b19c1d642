#!/usr/bin/env node
'use strict';
// The load generator, run as its own process so it never shares an event loop with Node-RED. Every request is
// built and signed before the clock starts; each is sent once (ours must never see a repeat it could short-cut).
// Input (argv[2], JSON): { kind, url, count, connections, secret }. Output (stdout, JSON): autocannon's figures.
require('../scripts/usage')
  .helpRequested(`Usage: node bench/load.js '<json>'     (started by bench/run.js; not meant to be run by hand)

Sends pre-signed unique requests with autocannon. <json> is { kind, url, count, connections, secret }, kind one of
hmac or svix; prints autocannon's figures as JSON on stdout.`);
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const autocannon = require('autocannon');
const { Webhook } = require('svix');

const fixtures = path.join(__dirname, '..', 'sample-events');
const saleassist = JSON.parse(
  fs.readFileSync(path.join(fixtures, 'saleassist', 'widget_new_conversation.json'), 'utf8'),
);
const salesmagic = JSON.parse(fs.readFileSync(path.join(fixtures, 'salesmagic', 'call.completed.json'), 'utf8'));

function build({ kind, count, secret }) {
  const requests = new Array(count);
  for (let i = 0; i < count; i++) {
    const unique = `${process.pid}-${i}-${crypto.randomBytes(6).toString('hex')}`;
    if (kind === 'svix') {
      const body = JSON.stringify({ ...salesmagic, id: `evt_${unique}` });
      const id = `msg_${unique}`;
      const now = new Date();
      requests[i] = {
        body,
        headers: {
          'content-type': 'application/json',
          'svix-id': id,
          'svix-timestamp': String(Math.floor(now.getTime() / 1000)),
          'svix-signature': new Webhook(secret).sign(id, now, body),
        },
      };
    } else {
      // The SaleAssist body, one conversation id per request, HMAC-SHA256 of the exact bytes.
      const event = { ...saleassist, payload: { ...saleassist.payload, id: unique } };
      const body = JSON.stringify(event);
      requests[i] = {
        body,
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'x-signature': `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`,
        },
      };
    }
  }
  return requests;
}

const options = JSON.parse(process.argv[2]);
const prepared = build(options);
let next = 0;
let responses = 0;
let finishedAt;
// autocannon's own start/finish are rounded to its one-second ticker; time the run from the responses instead.
const startedAt = performance.now();
const instance = autocannon(
  {
    url: options.url,
    method: 'POST',
    connections: options.connections,
    amount: prepared.length,
    timeout: 10,
    requests: [
      {
        setupRequest: (req) => {
          const r = prepared[next++ % prepared.length];
          return { ...req, method: 'POST', body: r.body, headers: r.headers };
        },
      },
    ],
  },
  (err, result) => {
    if (err) {
      console.error(err.message);
      process.exit(1);
    }
    process.stdout.write(
      JSON.stringify({
        requestsPerSecond: result.requests.total / (((finishedAt ?? performance.now()) - startedAt) / 1000),
        totalRequests: result.requests.total,
        durationSeconds: ((finishedAt ?? performance.now()) - startedAt) / 1000,
        latencyP50: result.latency.p50,
        latencyP99: result.latency.p99,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        bodyBytes: prepared[0].body.length,
      }),
    );
  },
);
instance.on('response', () => {
  if (++responses === prepared.length) finishedAt = performance.now();
});
