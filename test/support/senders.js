'use strict';
// Independent senders: each signs a body the way its platform does, with the platform's official library where one
// exists (svix, standardwebhooks, stripe) and otherwise with node:crypto exactly as the platform's document shows.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Webhook: SvixWebhook } = require('svix');
const { Webhook: StandardWebhook } = require('standardwebhooks');
const Stripe = require('stripe');

const SECRETS = {
  svix: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  previousSvix: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
  stripe: 'whsec_test_stripe_signing_secret_0123456789',
  hmac: 'recorder-webhook-secret-7d1f0c',
  token: 'saleassist-shared-token-1f6b2e',
};

const stripe = new Stripe('sk_test_not_used', { telemetry: false });
const hmac = (algorithm, secret, content, encoding = 'hex') =>
  crypto.createHmac(algorithm, secret).update(content).digest(encoding);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const randomId = (prefix = 'msg_') => prefix + crypto.randomBytes(12).toString('hex');

/** Headers for a Svix-signed delivery (SalesMagic). */
function svixHeaders(body, { secret = SECRETS.svix, id = randomId(), timestamp = new Date() } = {}) {
  return {
    'content-type': 'application/json',
    'svix-id': id,
    'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'svix-signature': new SvixWebhook(secret).sign(id, timestamp, body.toString()),
  };
}

/** Headers for a Standard Webhooks delivery (webhook-* names). */
function standardHeaders(body, { secret = SECRETS.svix, id = randomId(), timestamp = new Date() } = {}) {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new StandardWebhook(secret).sign(id, timestamp, body.toString()),
  };
}

function stripeHeaders(body, { secret = SECRETS.stripe, timestamp = nowSeconds() } = {}) {
  return {
    'content-type': 'application/json',
    'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret, timestamp }),
  };
}

/** The recorder platform: `X-Webhook-Signature: sha256=<hex>` of the body. */
function recorderHeaders(body, { secret = SECRETS.hmac } = {}) {
  return { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${hmac('sha256', secret, body)}` };
}

/** The recorder's own documented example: HMAC over JSON.stringify(payload), not the bytes sent. */
function recorderDocumentedExampleHeaders(body, { secret = SECRETS.hmac } = {}) {
  const payload = JSON.parse(body.toString());
  return {
    'content-type': 'application/json',
    'x-webhook-signature': `sha256=${hmac('sha256', secret, JSON.stringify(payload))}`,
  };
}

function callcallHeaders(body, { secret = SECRETS.hmac, timestamp = nowSeconds() } = {}) {
  return {
    'content-type': 'application/json',
    'x-callcall-timestamp': String(timestamp),
    'x-callcall-signature': hmac('sha256', secret, `${timestamp}.${body}`),
  };
}

function githubHeaders(body, { secret = SECRETS.hmac, event = 'ping', id = randomId('') } = {}) {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': id,
    'x-hub-signature-256': `sha256=${hmac('sha256', secret, body)}`,
  };
}

function tokenHeaders(
  _body,
  { token = SECRETS.token, headerName = 'x-webhook-token', contentType = 'application/json' } = {},
) {
  return { 'content-type': contentType, [headerName]: token };
}

// The package's sample events (sample-events/<provider>/<event>.json); `fixturesDir` is the older name.
const sampleEventsDir = path.resolve(__dirname, '..', '..', 'sample-events');
const fixturesDir = sampleEventsDir;
/** The exact bytes of a fixture file. */
function fixture(provider, eventType) {
  return fs.readFileSync(path.join(fixturesDir, provider, `${eventType}.json`));
}

/** For each of the five platforms: the source credentials and how that platform signs a body. */
const PLATFORMS = {
  salescaling: { credentials: { token: SECRETS.token }, sign: (body) => tokenHeaders(body) },
  salesmagic: { credentials: { secret: SECRETS.svix }, sign: (body) => svixHeaders(body) },
  recorder: { credentials: { secret: SECRETS.hmac }, sign: (body) => recorderHeaders(body) },
  saleassist: {
    credentials: { token: SECRETS.token },
    sign: (body) => tokenHeaders(body, { contentType: 'application/json; charset=UTF-8' }),
  },
  callcall: { credentials: { secret: SECRETS.hmac }, sign: (body) => callcallHeaders(body) },
};

module.exports = {
  PLATFORMS,
  SECRETS,
  hmac,
  nowSeconds,
  randomId,
  fixture,
  fixturesDir,
  sampleEventsDir,
  svixHeaders,
  standardHeaders,
  stripeHeaders,
  recorderHeaders,
  recorderDocumentedExampleHeaders,
  callcallHeaders,
  githubHeaders,
  tokenHeaders,
};
