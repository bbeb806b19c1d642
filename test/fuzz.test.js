'use strict';
// Issue 10: arbitrary bytes and headers into the body reader and every verifier (fast-check, bounded runs). Nothing
// crashes, nothing unverified is emitted, and every answer is one of the documented statuses.
const assert = require('node:assert/strict');
const http = require('node:http');
const fc = require('fast-check');
const send = require('./support/senders');
const { listProviders } = require('../dist/providers/registry');
const { buildVerifierOptions } = require('../dist/receive/source');
const { processDelivery, receiveRedaction } = require('../dist/receive/delivery');
const { handleWebhookRequest, pendingBodyBytes } = require('../dist/receive/endpoint');
const { startReceiver } = require('./support/receiver');
const { createVerifier, authenticationHeaders, WebhookVerificationError } = require('../dist/verify');

const DOCUMENTED_STATUSES = new Set([200, 400, 401, 405, 408, 413, 415, 503]);
const CREDENTIALS = { secret: send.SECRETS.svix, token: send.SECRETS.token };
// Stripe-style and HMAC sources take any secret text; Svix-style ones need the whsec_ form.
const credentialsFor = (profile) =>
  profile.verification.kind === 'standard-webhooks'
    ? CREDENTIALS
    : { secret: send.SECRETS.hmac, token: send.SECRETS.token };

function processorFor(profile) {
  const options = buildVerifierOptions(profile, { provider: profile.id }, credentialsFor(profile));
  return {
    profile,
    verifier: createVerifier(options),
    redaction: receiveRedaction(authenticationHeaders(options.scheme), [options.secrets[0]]),
  };
}

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,24}$/);
const headerText = fc.stringMatching(/^[\x20-\x7e]{0,80}$/);

/** Headers a sender might send: the scheme's own names with garbage, and anything else. */
function headersFor(names) {
  const known = fc.dictionary(fc.constantFrom(...names), fc.oneof(headerText, fc.array(headerText, { maxLength: 3 })), {
    maxKeys: names.length,
  });
  return fc.tuple(known, fc.dictionary(headerName, headerText, { maxKeys: 5 })).map(([a, b]) => ({ ...b, ...a }));
}

const SCHEME_HEADERS = [
  'svix-id',
  'svix-timestamp',
  'svix-signature',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'stripe-signature',
  'x-hub-signature-256',
  'x-webhook-signature',
  'x-callcall-signature',
  'x-callcall-timestamp',
  'x-signature',
  'x-webhook-token',
  'x-github-delivery',
  'x-github-event',
];
const body = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  fc.json().map((j) => Buffer.from(j)),
);

describe('fuzz: verifiers and delivery processing', function () {
  for (const profile of listProviders()) {
    it(`${profile.id}: arbitrary bytes and headers are rejected (or, unverified only, accepted), never thrown`, function () {
      const processor = processorFor(profile);
      fc.assert(
        fc.property(body, headersFor(SCHEME_HEADERS), (rawBody, headers) => {
          let verified = false;
          try {
            processor.verifier({ rawBody, headers });
            verified = true;
          } catch (err) {
            assert.ok(err instanceof WebhookVerificationError, `${profile.id} threw ${err}`);
          }
          assert.ok(!verified || profile.verification.kind === 'none', 'an unsigned delivery verified');
          const outcome = processDelivery(processor, { rawBody, headers }, new Date());
          if (profile.verification.kind !== 'none') assert.equal(outcome.kind, 'rejected');
          if (outcome.kind === 'rejected') assert.ok([400, 401].includes(outcome.statusCode));
          for (const name of authenticationHeaders(processor.profile.verification)) {
            if (headers[name] !== undefined)
              assert.equal(outcome.headers?.[name] ?? outcome.meta?.headers[name], '[redacted]');
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('fuzz: the body reader over real HTTP', function () {
  this.timeout(60000);
  let server;
  let url;
  const profile = listProviders().find((p) => p.id === 'salesmagic');
  const { receiver, lifecycle, emitted, refusals } = startReceiver({
    processor: processorFor(profile),
    maxBytes: 300,
    bodyTimeoutMs: 2000,
  });
  before(async () => {
    server = http.createServer((req, res) => handleWebhookRequest(receiver, req, res));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${server.address().port}/`;
  });
  after(
    () =>
      new Promise((resolve) => {
        lifecycle.close();
        server.closeAllConnections();
        server.close(resolve);
      }),
  );

  function request({ method, contentType, headers, bytes, chunked }) {
    return new Promise((resolve, reject) => {
      const all = { ...headers, ...(contentType === undefined ? {} : { 'content-type': contentType }) };
      if (!chunked) all['content-length'] = bytes.length;
      const req = http.request(url, { method, headers: all, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      if (chunked) for (let i = 0; i < bytes.length; i += 97) req.write(bytes.subarray(i, i + 97));
      req.end(chunked ? undefined : bytes);
    });
  }

  it('answers every request with a documented status and emits nothing unverified; a signed one still gets in', async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET', 'DELETE', 'PATCH'),
          contentType: fc.option(
            fc.oneof(
              fc.constantFrom(
                'application/json',
                'application/json; charset=UTF-8',
                'application/cloudevents+json',
                'text/plain',
              ),
              headerText,
            ),
            { nil: undefined },
          ),
          headers: headersFor(SCHEME_HEADERS.slice(0, 6)),
          bytes: fc.uint8Array({ maxLength: 700 }).map((b) => Buffer.from(b)),
          chunked: fc.boolean(),
        }),
        async (input) => {
          const status = await request(input);
          assert.ok(DOCUMENTED_STATUSES.has(status), `undocumented status ${status}`);
          assert.ok(status !== 200, 'nothing unsigned is acknowledged as received');
        },
      ),
      { numRuns: 120 },
    );
    assert.deepEqual(emitted, [], 'nothing unverified was emitted');
    assert.ok(refusals.length > 0, 'refusals reached the refusal output');
    assert.equal(pendingBodyBytes(), 0, 'every body gave its memory back');
    // The control: the same reader lets a genuinely signed delivery through, so the property above could fail.
    const signed = Buffer.from('{"type":"user.created","data":{"id":"u_1"}}');
    const status = await request({
      method: 'POST',
      contentType: 'application/json',
      headers: send.svixHeaders(signed),
      bytes: signed,
      chunked: true,
    });
    assert.equal(status, 200);
    assert.equal(emitted.length, 1, 'the signed delivery was emitted');
  });
});
