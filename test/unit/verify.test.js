'use strict';
// The signature schemes alone: the official libraries (svix, standardwebhooks, stripe) sign, our pure module verifies.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Webhook: SvixWebhook } = require('svix');
const { Webhook: StandardWebhook } = require('standardwebhooks');
const Stripe = require('stripe');
const {
  createVerifier,
  authenticationHeaders,
  signDelivery,
  WebhookVerificationError,
  WebhookConfigError,
} = require('../../dist/verify');

const SVIX_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SVIX_SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const HMAC_SECRET = 'recorder-webhook-secret-7d1f0c';
const stripe = new Stripe('sk_test_not_used', { telemetry: false });
// Unicode, a tab and CRLF: any re-serialisation would change these bytes.
const BODY = Buffer.from('{"type":"call.completed",\r\n\t"name":"Zoë Ünal 📞","note":"a\\u00e9b"}', 'utf8');
const NOW_MS = 1_700_000_000_000;
const now = () => NOW_MS;
const seconds = Math.floor(NOW_MS / 1000);

const failure = (fn) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WebhookVerificationError, `expected WebhookVerificationError, got ${err}`);
    return err.failure;
  }
  assert.fail('expected verification to fail');
};
const configError = (options) => {
  try {
    createVerifier(options);
  } catch (err) {
    assert.ok(err instanceof WebhookConfigError, `expected WebhookConfigError, got ${err}`);
    for (const secret of options.secrets ?? [])
      if (secret.length > 3) assert.ok(!err.message.includes(secret), 'the message must not quote the secret');
    return err.key;
  }
  assert.fail('expected a configuration error');
};
const svixSigned = (body, { secret = SVIX_SECRET, id = 'msg_2b1', at = seconds } = {}) => ({
  'svix-id': id,
  'svix-timestamp': String(at),
  'svix-signature': new SvixWebhook(secret).sign(id, new Date(at * 1000), body.toString()),
});
const standard = (secrets = [SVIX_SECRET], toleranceSeconds = 300) =>
  createVerifier({ scheme: { kind: 'standard-webhooks' }, secrets, toleranceSeconds, now });

describe('verify: Svix / Standard Webhooks', () => {
  it('accepts a svix-signed body byte for byte and returns the delivery id', () => {
    const result = standard()({ rawBody: BODY, headers: svixSigned(BODY) });
    assert.deepEqual(result, { deliveryId: 'msg_2b1', timestamp: seconds });
  });

  it('accepts the webhook-* header names signed by the standardwebhooks library', () => {
    const id = 'msg_std';
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(seconds),
      'webhook-signature': new StandardWebhook(SVIX_SECRET).sign(id, new Date(NOW_MS), BODY.toString()),
    };
    assert.equal(standard()({ rawBody: BODY, headers }).deliveryId, id);
  });

  it('matches the published known-answer vector', () => {
    // The Standard Webhooks / Svix test vector: secret, id, timestamp, payload and the signature they must give.
    const headers = {
      'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'svix-timestamp': '1614265330',
      'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const verify = createVerifier({
      scheme: { kind: 'standard-webhooks' },
      secrets: [SVIX_SECRET],
      toleranceSeconds: 300,
      now: () => 1614265330 * 1000,
    });
    assert.equal(
      verify({ rawBody: Buffer.from('{"test": 2432232314}'), headers }).deliveryId,
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
    );
    assert.equal(
      new SvixWebhook(SVIX_SECRET).sign(
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        new Date(1614265330000),
        '{"test": 2432232314}',
      ),
      headers['svix-signature'],
    );
  });

  it('rejects a body with one byte changed', () => {
    const headers = svixSigned(BODY);
    const changed = Buffer.from(BODY);
    changed[changed.length - 2] ^= 1;
    assert.equal(
      failure(() => standard()({ rawBody: changed, headers })),
      'no_matching_signature',
    );
  });

  it('rejects a re-serialised body (what a parsing receiver would check)', () => {
    const headers = svixSigned(BODY);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(BODY.toString())));
    assert.equal(
      failure(() => standard()({ rawBody: reserialized, headers })),
      'no_matching_signature',
    );
  });

  it('rejects a timestamp outside the tolerance in both directions', () => {
    assert.equal(
      failure(() => standard()({ rawBody: BODY, headers: svixSigned(BODY, { at: seconds - 301 }) })),
      'timestamp_too_old',
    );
    assert.equal(
      failure(() => standard()({ rawBody: BODY, headers: svixSigned(BODY, { at: seconds + 301 }) })),
      'timestamp_in_future',
    );
    assert.ok(standard()({ rawBody: BODY, headers: svixSigned(BODY, { at: seconds - 299 }) }));
    assert.ok(standard()({ rawBody: BODY, headers: svixSigned(BODY, { at: seconds + 299 }) }));
  });

  it('rejects missing and malformed headers', () => {
    const headers = svixSigned(BODY);
    assert.equal(
      failure(() => standard()({ rawBody: BODY, headers: {} })),
      'missing_header',
    );
    assert.equal(
      failure(() => standard()({ rawBody: BODY, headers: { ...headers, 'svix-id': undefined } })),
      'missing_header',
    );
    assert.equal(
      failure(() => standard()({ rawBody: BODY, headers: { ...headers, 'svix-timestamp': 'yesterday' } })),
      'malformed_header',
    );
    assert.equal(
      failure(() => standard()({ rawBody: BODY, headers: { ...headers, 'svix-signature': 'v2,abc' } })),
      'malformed_header',
    );
  });

  it('accepts any of several space-separated signatures and ignores other versions', () => {
    const headers = svixSigned(BODY);
    headers['svix-signature'] = `v1a,xyz v1,${Buffer.alloc(32).toString('base64')} ${headers['svix-signature']}`;
    assert.ok(standard()({ rawBody: BODY, headers }));
  });

  it('accepts the previous secret during a rotation, and only while it is configured', () => {
    const headers = svixSigned(BODY, { secret: OTHER_SVIX_SECRET });
    assert.ok(standard([SVIX_SECRET, OTHER_SVIX_SECRET])({ rawBody: BODY, headers }));
    assert.equal(
      failure(() => standard([SVIX_SECRET])({ rawBody: BODY, headers })),
      'no_matching_signature',
    );
  });

  it('treats a whsec_ secret that is not base64 as a configuration error', () => {
    assert.equal(
      configError({ scheme: { kind: 'standard-webhooks' }, secrets: ['whsec_not base64!!'], toleranceSeconds: 300 }),
      'secret',
    );
    assert.equal(
      configError({ scheme: { kind: 'standard-webhooks' }, secrets: ['whsec_c2hvcnQ='], toleranceSeconds: 300 }),
      'secret',
    );
    assert.equal(
      configError({ scheme: { kind: 'standard-webhooks' }, secrets: ['  '], toleranceSeconds: 300 }),
      'secret',
    );
    assert.equal(
      configError({
        scheme: { kind: 'standard-webhooks' },
        secrets: [SVIX_SECRET, 'whsec_c2hvcnQ='],
        toleranceSeconds: 300,
      }),
      'previousSecret',
    );
  });

  it('signDelivery produces headers the svix library itself accepts', () => {
    const headers = signDelivery({ kind: 'standard-webhooks' }, SVIX_SECRET, BODY);
    const event = new SvixWebhook(SVIX_SECRET).verify(BODY.toString(), headers);
    assert.equal(event.type, 'call.completed');
  });
});

describe('verify: Stripe', () => {
  const verifier = (secrets = ['whsec_test_secret']) =>
    createVerifier({ scheme: { kind: 'stripe' }, secrets, toleranceSeconds: 300, now });
  const header = (timestamp = seconds, secret = 'whsec_test_secret') =>
    stripe.webhooks.generateTestHeaderString({ payload: BODY.toString(), secret, timestamp });

  it('accepts a header from stripe.webhooks.generateTestHeaderString', () => {
    assert.equal(verifier()({ rawBody: BODY, headers: { 'stripe-signature': header() } }).timestamp, seconds);
  });

  it('rejects a wrong secret, an old and a future timestamp, a malformed header', () => {
    assert.equal(
      failure(() => verifier()({ rawBody: BODY, headers: { 'stripe-signature': header(seconds, 'whsec_other') } })),
      'no_matching_signature',
    );
    assert.equal(
      failure(() => verifier()({ rawBody: BODY, headers: { 'stripe-signature': header(seconds - 400) } })),
      'timestamp_too_old',
    );
    assert.equal(
      failure(() => verifier()({ rawBody: BODY, headers: { 'stripe-signature': header(seconds + 400) } })),
      'timestamp_in_future',
    );
    assert.equal(
      failure(() => verifier()({ rawBody: BODY, headers: { 'stripe-signature': 'v1=abc' } })),
      'malformed_header',
    );
    assert.equal(
      failure(() => verifier()({ rawBody: BODY, headers: {} })),
      'missing_header',
    );
  });

  it("signDelivery produces a header Stripe's own library accepts", () => {
    const headers = signDelivery({ kind: 'stripe' }, 'whsec_test_secret', BODY, {
      timestamp: Math.floor(Date.now() / 1000),
    });
    const event = stripe.webhooks.constructEvent(BODY, headers['stripe-signature'], 'whsec_test_secret');
    assert.equal(event.type, 'call.completed');
  });
});

describe('verify: HMAC headers', () => {
  const recorder = {
    kind: 'hmac',
    header: 'x-webhook-signature',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'sha256=',
    template: '{body}',
    acceptReserialized: true,
  };
  const callcall = {
    kind: 'hmac',
    header: 'x-callcall-signature',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'sha256=',
    template: '{timestamp}.{body}',
    timestampHeader: 'x-callcall-timestamp',
  };
  const mac = (algorithm, content, encoding = 'hex', secret = HMAC_SECRET) =>
    crypto.createHmac(algorithm, secret).update(content).digest(encoding);
  const verifier = (scheme, secrets = [HMAC_SECRET]) => createVerifier({ scheme, secrets, toleranceSeconds: 300, now });

  it('accepts sha256=<hex> over the raw body, upper-case hex too', () => {
    assert.ok(
      verifier(recorder)({ rawBody: BODY, headers: { 'x-webhook-signature': `sha256=${mac('sha256', BODY)}` } }),
    );
    assert.ok(
      verifier(recorder)({
        rawBody: BODY,
        headers: { 'x-webhook-signature': `SHA256=${mac('sha256', BODY).toUpperCase()}` },
      }),
    );
  });

  it("accepts the recorder's documented JSON.stringify form, and survives a body that is not JSON", () => {
    const signedForm = JSON.stringify(JSON.parse(BODY.toString()));
    assert.ok(
      verifier(recorder)({ rawBody: BODY, headers: { 'x-webhook-signature': `sha256=${mac('sha256', signedForm)}` } }),
    );
    const notJson = Buffer.from('not json {');
    assert.equal(
      failure(() =>
        verifier(recorder)({ rawBody: notJson, headers: { 'x-webhook-signature': `sha256=${mac('sha256', 'x')}` } }),
      ),
      'no_matching_signature',
    );
    assert.equal(
      failure(() =>
        verifier({ ...recorder, acceptReserialized: false })({
          rawBody: BODY,
          headers: { 'x-webhook-signature': `sha256=${mac('sha256', signedForm)}` },
        }),
      ),
      'no_matching_signature',
    );
  });

  it('signs {timestamp}.{body} with the timestamp header and checks the tolerance both ways', () => {
    const headers = (at) => ({
      'x-callcall-timestamp': String(at),
      'x-callcall-signature': mac('sha256', `${at}.${BODY.toString()}`),
    });
    assert.equal(verifier(callcall)({ rawBody: BODY, headers: headers(seconds) }).timestamp, seconds);
    assert.equal(
      failure(() => verifier(callcall)({ rawBody: BODY, headers: headers(seconds - 301) })),
      'timestamp_too_old',
    );
    assert.equal(
      failure(() => verifier(callcall)({ rawBody: BODY, headers: headers(seconds + 301) })),
      'timestamp_in_future',
    );
    assert.equal(
      failure(() => verifier(callcall)({ rawBody: BODY, headers: { 'x-callcall-signature': mac('sha256', BODY) } })),
      'missing_header',
    );
    // The timestamp is signed: moving it breaks the signature even inside the window.
    const moved = { ...headers(seconds), 'x-callcall-timestamp': String(seconds - 1) };
    assert.equal(
      failure(() => verifier(callcall)({ rawBody: BODY, headers: moved })),
      'no_matching_signature',
    );
  });

  it('reads millisecond timestamps as milliseconds', () => {
    const at = NOW_MS;
    const headers = {
      'x-callcall-timestamp': String(at),
      'x-callcall-signature': mac('sha256', `${at}.${BODY.toString()}`),
    };
    assert.equal(verifier(callcall)({ rawBody: BODY, headers }).timestamp, seconds);
  });

  it('supports sha512, sha1, base64 and an {id} header', () => {
    const scheme = {
      kind: 'hmac',
      header: 'x-sig',
      algorithm: 'sha512',
      encoding: 'base64',
      prefix: '',
      template: '{id}:{body}',
      idHeader: 'x-id',
    };
    const headers = { 'x-id': 'evt_9', 'x-sig': mac('sha512', `evt_9:${BODY.toString()}`, 'base64') };
    assert.equal(verifier(scheme)({ rawBody: BODY, headers }).deliveryId, 'evt_9');
    assert.equal(
      failure(() => verifier(scheme)({ rawBody: BODY, headers: { ...headers, 'x-id': 'evt_10' } })),
      'no_matching_signature',
    );
    const sha1 = { ...scheme, algorithm: 'sha1', encoding: 'hex', template: '{body}', idHeader: undefined };
    assert.ok(verifier(sha1)({ rawBody: BODY, headers: { 'x-sig': mac('sha1', BODY) } }));
  });

  it('takes a delivery id only from a header the signature covers', () => {
    const unsigned = {
      kind: 'hmac',
      header: 'x-sig',
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: '',
      template: '{body}',
      idHeader: 'x-id',
    };
    // Anyone replaying a genuine delivery could change an unsigned id header to slip past duplicate suppression.
    assert.equal(
      verifier(unsigned)({ rawBody: BODY, headers: { 'x-id': 'evt_1', 'x-sig': mac('sha256', BODY) } }).deliveryId,
      undefined,
    );
  });

  it('accepts the previous secret during a rotation', () => {
    const headers = { 'x-webhook-signature': `sha256=${mac('sha256', BODY, 'hex', 'old-secret')}` };
    assert.ok(verifier(recorder, [HMAC_SECRET, 'old-secret'])({ rawBody: BODY, headers }));
    assert.equal(
      failure(() => verifier(recorder)({ rawBody: BODY, headers })),
      'no_matching_signature',
    );
  });

  it('rejects a signature that is not hex, and a repeated header', () => {
    assert.equal(
      failure(() => verifier(recorder)({ rawBody: BODY, headers: { 'x-webhook-signature': 'sha256=zz' } })),
      'malformed_header',
    );
    const sig = `sha256=${mac('sha256', BODY)}`;
    assert.equal(
      failure(() => verifier(recorder)({ rawBody: BODY, headers: { 'x-webhook-signature': [sig, sig] } })),
      'missing_header',
    );
  });

  it('reports each unusable configuration at creation, never quoting the secret', () => {
    const base = { secrets: [HMAC_SECRET], toleranceSeconds: 300 };
    assert.equal(configError({ ...base, scheme: { ...recorder, algorithm: 'md5' } }), 'algorithm');
    assert.equal(configError({ ...base, scheme: { ...recorder, encoding: 'base32' } }), 'encoding');
    assert.equal(configError({ ...base, scheme: { ...recorder, template: '{timestamp}' } }), 'template');
    assert.equal(configError({ ...base, scheme: { ...callcall, timestampHeader: undefined } }), 'timestampHeader');
    assert.equal(configError({ ...base, scheme: { ...recorder, template: '{id}.{body}' } }), 'idHeader');
    assert.equal(configError({ ...base, scheme: { ...recorder, template: '{Timestamp}.{body}' } }), 'template');
    assert.equal(configError({ ...base, scheme: { ...recorder, header: '' } }), 'signatureHeader');
    assert.equal(configError({ ...base, secrets: [''], scheme: recorder }), 'secret');
    assert.equal(configError({ ...base, secrets: [HMAC_SECRET, ' '], scheme: recorder }), 'previousSecret');
    assert.equal(configError({ ...base, toleranceSeconds: 0, scheme: recorder }), 'tolerance');
  });

  it('signDelivery round-trips for the callcall scheme', () => {
    const headers = signDelivery(callcall, HMAC_SECRET, BODY, { timestamp: seconds });
    assert.ok(headers['x-callcall-signature'].startsWith('sha256='));
    assert.ok(verifier(callcall)({ rawBody: BODY, headers }));
  });
});

describe('verify: shared header token', () => {
  const verifier = createVerifier({
    scheme: { kind: 'header-token', headerName: 'X-Webhook-Token' },
    secrets: ['tok-123'],
    toleranceSeconds: 300,
  });

  it('accepts the right value and rejects a wrong, shorter, longer or missing one', () => {
    assert.deepEqual(verifier({ rawBody: BODY, headers: { 'x-webhook-token': 'tok-123' } }), {});
    assert.equal(
      failure(() => verifier({ rawBody: BODY, headers: { 'x-webhook-token': 'tok-124' } })),
      'no_matching_signature',
    );
    assert.equal(
      failure(() => verifier({ rawBody: BODY, headers: { 'x-webhook-token': 'tok' } })),
      'no_matching_signature',
    );
    assert.equal(
      failure(() => verifier({ rawBody: BODY, headers: { 'x-webhook-token': 'tok-1234567' } })),
      'no_matching_signature',
    );
    assert.equal(
      failure(() => verifier({ rawBody: BODY, headers: {} })),
      'missing_header',
    );
  });

  it('names the headers to redact for every scheme', () => {
    assert.deepEqual(authenticationHeaders({ kind: 'header-token', headerName: 'X-Webhook-Token' }), [
      'x-webhook-token',
    ]);
    assert.deepEqual(authenticationHeaders({ kind: 'standard-webhooks' }), ['svix-signature', 'webhook-signature']);
    assert.deepEqual(authenticationHeaders({ kind: 'stripe' }), ['stripe-signature']);
    assert.deepEqual(authenticationHeaders({ kind: 'none' }), []);
  });

  it('the none scheme verifies nothing and needs no secret', () => {
    assert.deepEqual(
      createVerifier({ scheme: { kind: 'none' }, secrets: [], toleranceSeconds: 300 })({ rawBody: BODY, headers: {} }),
      {},
    );
  });
});

// Issue 10, defect 12: what the official libraries reject, we reject; what they accept, we accept.
describe('verify: interoperability with the official libraries', () => {
  const github = {
    kind: 'hmac',
    header: 'x-hub-signature-256',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'sha256=',
    requirePrefix: true,
    template: '{body}',
  };
  const { getProvider } = require('../../dist/providers/registry');

  it('GitHub: a signature without its sha256= prefix is refused, as octokit refuses it', () => {
    const hex = crypto.createHmac('sha256', HMAC_SECRET).update(BODY).digest('hex');
    const verify = createVerifier({
      scheme: getProvider('github').verification,
      secrets: [HMAC_SECRET],
      toleranceSeconds: 300,
      now,
    });
    assert.ok(verify({ rawBody: BODY, headers: { 'x-hub-signature-256': `sha256=${hex}` } }));
    assert.equal(
      failure(() => verify({ rawBody: BODY, headers: { 'x-hub-signature-256': hex } })),
      'malformed_header',
    );
    assert.deepEqual(getProvider('github').verification, github);
  });

  it('Svix, Standard Webhooks and Stripe refuse a millisecond timestamp, as their libraries do', () => {
    const ms = String(NOW_MS);
    const id = 'msg_ms';
    const svixKey = Buffer.from(SVIX_SECRET.slice(6), 'base64');
    const signature = `v1,${crypto.createHmac('sha256', svixKey).update(`${id}.${ms}.`).update(BODY).digest('base64')}`;
    for (const prefix of ['svix-', 'webhook-']) {
      const headers = { [`${prefix}id`]: id, [`${prefix}timestamp`]: ms, [`${prefix}signature`]: signature };
      assert.equal(
        failure(() => standard()({ rawBody: BODY, headers })),
        'malformed_header',
        prefix,
      );
      assert.throws(() =>
        new SvixWebhook(SVIX_SECRET).verify(BODY.toString(), {
          'svix-id': id,
          'svix-timestamp': ms,
          'svix-signature': signature,
        }),
      );
    }
    const stripeHeader = stripe.webhooks.generateTestHeaderString({
      payload: BODY.toString(),
      secret: 'whsec_test_secret',
      timestamp: NOW_MS,
    });
    const stripeVerify = createVerifier({
      scheme: { kind: 'stripe' },
      secrets: ['whsec_test_secret'],
      toleranceSeconds: 300,
      now,
    });
    assert.equal(
      failure(() => stripeVerify({ rawBody: BODY, headers: { 'stripe-signature': stripeHeader } })),
      'malformed_header',
    );
  });

  it('a full svix-* set with one stray webhook-* header is accepted, as the svix library accepts it', () => {
    const headers = { ...svixSigned(BODY), 'webhook-id': 'msg_from_a_proxy' };
    assert.equal(standard()({ rawBody: BODY, headers }).deliveryId, 'msg_2b1');
    const realNow = Math.floor(Date.now() / 1000);
    const live = svixSigned(BODY, { at: realNow });
    assert.ok(new SvixWebhook(SVIX_SECRET).verify(BODY.toString(), { ...live, 'webhook-id': 'msg_from_a_proxy' }));
  });
});

// Issue 10, defect 4: a tolerance on a header the signature does not cover protects nothing.
describe('verify: a timestamp header the template does not sign', () => {
  it('is a configuration error naming the timestamp header field', () => {
    const scheme = {
      kind: 'hmac',
      header: 'x-sig',
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: '',
      template: '{body}',
      timestampHeader: 'x-timestamp',
    };
    assert.equal(configError({ scheme, secrets: [HMAC_SECRET], toleranceSeconds: 300 }), 'timestampHeader');
    assert.ok(
      createVerifier({
        scheme: { ...scheme, template: '{timestamp}.{body}' },
        secrets: [HMAC_SECRET],
        toleranceSeconds: 300,
      }),
    );
  });

  it('a source built from the dialog fields reports it at deploy', () => {
    const { buildVerifierOptions } = require('../../dist/receive/source');
    const { getProvider } = require('../../dist/providers/registry');
    const options = buildVerifierOptions(
      getProvider('hmac'),
      { provider: 'hmac', signatureHeader: 'x-sig', template: '{body}', timestampHeader: 'X-Timestamp' },
      { secret: HMAC_SECRET },
    );
    assert.equal(configError(options), 'timestampHeader');
  });
});
