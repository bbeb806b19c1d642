'use strict';
// A CRM account that survives hostile or broken servers: token servers that echo secrets in any encoding, answers
// without end, maintenance pages instead of tokens, CRMs that refuse every fresh token, nothing listening at all; and
// refresh tokens rotated by the CRM kept across restarts and deploys of a real Node-RED process.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, loadFlow, collect, settle, postRaw } = require('./support/flow');
const { leadsToCrmFlow, signedLead } = require('./support/leads-load');
const { inboxConsumer } = require('../dist/delivery/registry');
const { startCrmEmulator } = require('./support/crm-emulator');
const { startNodeRed, freePort, waitFor } = require('./support/real-node-red');
const { scrub, accountSettings, CrmHttp, CrmAuthRefusedError, CrmError } = require('../dist/crm');
const { secretForms, headerRedaction, redactHeaders } = require('../dist/redact');
const { RotatedRefreshTokens, ROTATED_TOKENS_FILE } = require('../dist/crm/rotatedTokens');
const { MAX_ANSWER_BYTES } = require('../dist/crm/answer');
const { FRESH_TOKEN_REFUSALS_TO_STOP } = require('../dist/crm/auth');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');
const leadMapNode = require('../nodes/sales-lead-map.js');
const accountNode = require('../nodes/sales-crm-account.js');
const crmOutNode = require('../nodes/sales-crm-out.js');
const statusNode = require('@node-red/nodes/core/common/25-status.js');

const CLIENT_ID = 'pd-client-7c1e9a42';
const CLIENT_SECRET = 'pd-secret+/Zx9Qw8Er7Ty6Ui5';
const REFRESH_TOKEN = '13271093:8413912:1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const CREDENTIALS = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN };
const lead = (email) => ({
  email,
  fullName: 'Prakash Mudhaliyar',
  firstName: 'Prakash',
  lastName: 'Mudhaliyar',
  source: { provider: 'saleassist', eventType: 'widget_new_conversation' },
  custom: {},
});

/** Every way a secret can be echoed back; none may survive anywhere a person can see. */
function encodings(secret) {
  const b64 = (s) => Buffer.from(s).toString('base64');
  const b64url = (s) => Buffer.from(s).toString('base64url');
  return [
    secret,
    secret.toUpperCase(),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'),
    b64(secret),
    b64url(secret),
    b64(`${CLIENT_ID}:${secret}`),
    b64url(`${CLIENT_ID}:${secret}`),
    encodeURIComponent(b64(`${CLIENT_ID}:${secret}`)),
  ];
}

/** An account's client straight on the emulator: fast, and what the nodes use underneath. */
function client(emulator, raw, credentials = CREDENTIALS) {
  const settings = accountSettings(
    { loginUrl: emulator.url, maxAttempts: 2, minDelay: 10, maxDelay: 40, timeout: 5000, ...raw },
    credentials,
  );
  return new CrmHttp(settings, credentials);
}

describe('CRM authentication against hostile and broken servers', function () {
  this.timeout(30000);
  let emulator;
  let crm;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    emulator = await startCrmEmulator({
      token: 'http-api-token-9f8e7d6c',
      oauth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshTokens: [REFRESH_TOKEN] },
    });
  });
  afterEach(async () => {
    await crm?.close();
    crm = undefined;
    await emulator.close();
  });

  it('scrubs a secret in every encoding: base64 and base64url (of the secret and of id:secret at any offset), URL, JSON', function () {
    for (const form of encodings(CLIENT_SECRET))
      assert.ok(
        !scrub(`Authorization: Basic ${form}.`, [`${CLIENT_ID}:${CLIENT_SECRET}`, CLIENT_SECRET]).includes(form),
        form,
      );
    // The secret inside a longer text that was base64-encoded whole, at each of the three byte alignments.
    for (const prefix of ['', 'a', 'ab', 'abc'])
      for (const encode of ['base64', 'base64url']) {
        const echoed = Buffer.from(`${prefix}key=${CLIENT_SECRET}&more`).toString(encode);
        const shown = scrub(echoed, [CLIENT_SECRET]);
        // Only the characters that mix the secret's first or last two bytes with its neighbours can remain.
        assert.match(shown, /\[redacted\]/, `${prefix} ${encode}`);
        assert.ok(
          echoed.length - shown.replace('[redacted]', '').length >= (4 * (CLIENT_SECRET.length - 4)) / 3,
          shown,
        );
      }
    // Headers shown to a person (output 2, the delivery log) hide any that carries an encoded secret.
    const redaction = headerRedaction([], [CLIENT_SECRET]);
    const shown = redactHeaders(
      { 'x-echo': `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
      redaction,
    );
    assert.equal(shown['x-echo'], '[redacted]');
    assert.ok(secretForms('abcd').every((form) => form.length >= 4));
  });

  it("Pipedrive's HTTP Basic echoed by the token server reaches no error, status, log or delivery log; the lead is kept", async function () {
    emulator.misbehave({ kind: 'echo-authorization' });
    const SECRET = 'hmac-secret-for-the-sender-0123';
    const running = await loadFlow(
      [webhookInNode, sourceNode, leadMapNode, accountNode, crmOutNode, statusNode],
      leadsToCrmFlow({
        emulator,
        secret: SECRET,
        account: { system: 'pipedrive', auth: 'refresh-token', loginUrl: emulator.url, baseUrl: '' },
        out: { wires: [[], ['failed']] },
        extraNodes: [
          { id: 'failed', type: 'helper', z: 'tab' },
          { id: 'watch', type: 'status', z: 'tab', scope: ['out'], wires: [['statuses']] },
          { id: 'statuses', type: 'helper', z: 'tab' },
        ],
      }),
      { src: { secret: SECRET }, acct: CREDENTIALS },
    );
    try {
      const statuses = [];
      helper.getNode('statuses').on('input', (m) => statuses.push(m.status));
      const failed = collect(helper.getNode('failed'));
      assert.equal(
        (await postRaw(`${running.baseUrl}/webhooks/leads`, signedLead('basic@example.com', SECRET))).status,
        200,
      );
      const [msg] = await failed;
      assert.match(
        msg.error.message,
        /invalid_client: client authentication failed for Authorization: Basic \[redacted\]/,
      );
      assert.equal(msg.payload.email, 'basic@example.com', 'the lead is kept');
      const { store } = inboxConsumer('in');
      let record;
      await waitFor(async () => (record = await store.get(msg.webhook.deliveryId))?.state === 'failed', 5000, 25);
      assert.match(record.settlements.at(-1).reason, /Basic \[redacted\]/);
      await settle(300);
      const everything = JSON.stringify({ msg, record, statuses, logs: helper.log().args });
      for (const form of encodings(CLIENT_SECRET))
        assert.ok(!everything.includes(form), `found ${form.slice(0, 6)}… in the output`);
    } finally {
      await running.close();
      await helper.unload();
    }
  });

  it('an endless token answer is refused past the bound and its socket cut; the account is not stopped', async function () {
    emulator.misbehave({ kind: 'endless', times: 1 });
    crm = client(emulator, { system: 'zoho', maxAttempts: 1 });
    const error = await crm.send({ method: 'GET', path: '/crm/v8/users' }).then(
      () => assert.fail('expected a failure'),
      (e) => e,
    );
    assert.ok(error instanceof CrmError && !(error instanceof CrmAuthRefusedError), error.stack);
    assert.match(
      error.message,
      new RegExp(
        `^no access token after 1 attempt: the answer from ${emulator.url}/oauth/v2/token was longer than 4 MiB`,
      ),
    );
    await waitFor(() => emulator.cuts.length === 1, 10000, 20);
    // Cut after the bound, not after the whole (endless) answer: what was written is the bound plus socket buffers.
    assert.ok(emulator.cuts[0].written < MAX_ANSWER_BYTES * 8, String(emulator.cuts[0].written));
    assert.equal(crm.tokens.refusedReason, undefined);
  });

  it('an endless CRM answer is refused past the bound and its socket cut, without asking again', async function () {
    emulator.misbehave({ kind: 'endless', match: /Leads\/upsert/ });
    crm = client(emulator, { system: 'zoho', maxAttempts: 3 });
    const error = await crm.send({ method: 'POST', path: '/crm/v8/Leads/upsert', body: { data: [] } }).then(
      () => assert.fail('expected a failure'),
      (e) => e,
    );
    assert.match(
      error.message,
      /^the answer from http:\/\/127\.0\.0\.1:\d+\/crm\/v8\/Leads\/upsert was longer than 4 MiB/,
    );
    await waitFor(() => emulator.cuts.length === 1, 10000, 20);
    assert.equal(emulator.requests.filter((r) => r.path === '/crm/v8/Leads/upsert').length, 1);
  });

  it('a 200 text/html token answer (a maintenance page) is retried with back-off, not taken for a refusal', async function () {
    emulator.misbehave({ kind: 'html', times: 1 });
    crm = client(emulator, { system: 'zoho' });
    const answer = await crm.send({ method: 'GET', path: '/crm/v8/users', query: { type: 'CurrentUser' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.attempts, 2);
    assert.equal(crm.tokens.refusedReason, undefined);

    // A page that stays: each lead fails on its own with what happened, the account keeps asking (after its back-off).
    emulator.misbehave({ kind: 'html' });
    await crm.close();
    crm = client(emulator, { system: 'zoho' });
    const failures = await Promise.all(
      [1, 2, 3, 4, 5].map(() => crm.send({ method: 'GET', path: '/crm/v8/users' }).catch((e) => e)),
    );
    for (const failure of failures) {
      assert.ok(failure instanceof CrmError && !(failure instanceof CrmAuthRefusedError), String(failure));
      assert.match(
        failure.message,
        /^no access token after 2 attempts: the token server at http:\/\/127\.0\.0\.1:\d+\/oauth\/v2\/token answered 200 with text\/html instead of a token/,
      );
    }
    assert.equal(crm.tokens.refusedReason, undefined);
    // Five leads waiting together ask once per round, not once each.
    assert.ok(emulator.tokenRequests.length <= 1 + 2 * 2, String(emulator.tokenRequests.length));
  });

  it('a CRM that answers 401 to every fresh token gets a bounded number of refreshes, then the account stops with a clear reason', async function () {
    emulator.misbehave({ kind: 'unauthorized', match: /\/api\/v1\// });
    crm = client(emulator, { system: 'pipedrive', auth: 'refresh-token', maxAttempts: 1 });
    const outcomes = [];
    for (let i = 0; i < 10; i++)
      outcomes.push(await crm.send({ method: 'GET', path: '/api/v1/users/me' }).catch((e) => e));
    assert.equal(
      emulator.tokenRequests.length,
      FRESH_TOKEN_REFUSALS_TO_STOP + 1,
      'one refresh per refused fresh token, then none',
    );
    const stopped = outcomes.filter((o) => o instanceof CrmAuthRefusedError);
    assert.equal(stopped.length, 10 - FRESH_TOKEN_REFUSALS_TO_STOP + 1);
    assert.match(
      crm.tokens.refusedReason,
      /^the CRM refused a fresh token 3 times in a row \(401: unauthorized access\): check the app's scopes\/permissions/,
    );
    const crmCalls = emulator.requests.filter((r) => r.path === '/api/v1/users/me').length;
    assert.equal(crmCalls, 2 * FRESH_TOKEN_REFUSALS_TO_STOP, 'nothing is sent once the account stopped');
  });

  it('a CRM that refuses a token now and then (expired) keeps working: a success in between resets the count', async function () {
    crm = client(emulator, { system: 'pipedrive', auth: 'refresh-token', maxAttempts: 1 });
    for (let i = 0; i < 2 * FRESH_TOKEN_REFUSALS_TO_STOP; i++) {
      emulator.expireTokens();
      const answer = await crm.send({ method: 'GET', path: '/api/v1/users/me' });
      assert.equal(answer.status, 200);
    }
    assert.equal(crm.tokens.refusedReason, undefined);
  });

  it('Test connection with the stored refresh token uses and keeps the one the account rotated to', async function () {
    emulator.rotateRefreshTokens();
    const running = await loadFlow(
      [accountNode, crmOutNode],
      [
        { id: 'acct', type: 'sales-crm-account', system: 'zoho', auth: 'refresh-token', loginUrl: emulator.url },
        {
          id: 'out',
          type: 'sales-crm out',
          z: 'f',
          account: 'acct',
          fieldMap: [],
          externalIdField: '',
          version: 1,
          wires: [['sent'], ['failed']],
        },
        { id: 'sent', type: 'helper', z: 'f' },
        { id: 'failed', type: 'helper', z: 'f' },
      ],
      { acct: CREDENTIALS },
    );
    try {
      helper.getNode('failed').on('input', (m) => assert.fail(m.error.message));
      const send = async (email) => {
        const sent = collect(helper.getNode('sent'));
        helper.getNode('out').receive({ payload: lead(email) });
        await sent;
      };
      await send('before-test@example.com');
      const answer = await helper
        .request()
        .post('/sales-crm-account/test-connection')
        .send({
          id: 'acct',
          config: { system: 'zoho', auth: 'refresh-token', loginUrl: emulator.url },
          credentials: { clientId: CLIENT_ID, clientSecret: '__PWRD__', refreshToken: '__PWRD__' },
        })
        .expect(200);
      assert.equal(answer.body.ok, true, answer.body.message);
      assert.equal(emulator.rotations.length, 2);
      // The account's access token expires: its next refresh must send the token the test rotated to.
      emulator.expireTokens();
      await send('after-test@example.com');
      assert.equal(emulator.rotations[2].from, emulator.rotations[1].to);
    } finally {
      await running.close();
      await helper.unload();
    }
  });

  it('names the URL and says in words what happened, with the count in its plural form', async function () {
    const port = await freePort();
    const settings = accountSettings(
      { system: 'http', baseUrl: `http://127.0.0.1:${port}`, maxAttempts: 1 },
      { token: 'http-api-token-9f8e7d6c' },
    );
    crm = new CrmHttp(settings, { token: 'http-api-token-9f8e7d6c' });
    const once = await crm
      .send({ method: 'POST', path: '/api/leads?api_token=secret-in-query', body: {} })
      .catch((e) => e);
    assert.equal(
      once.message,
      `nothing answered at http://127.0.0.1:${port}/api/leads (1 attempt): connection refused`,
    );
    await crm.close();
    crm = new CrmHttp(
      { ...settings, maxAttempts: 2, minDelayMs: 1, maxDelayMs: 2 },
      { token: 'http-api-token-9f8e7d6c' },
    );
    const twice = await crm.send({ method: 'POST', path: '/api/leads', body: {} }).catch((e) => e);
    assert.equal(
      twice.message,
      `nothing answered at http://127.0.0.1:${port}/api/leads (2 attempts): connection refused`,
    );
  });

  it('says network failures in words, never as errno', function () {
    const { whatHappened, sayInEnglish } = require('../dist/crm');
    const said = (err) => whatHappened(err, 10000, sayInEnglish);
    assert.equal(said({ code: 'ECONNREFUSED' }), 'connection refused');
    assert.equal(said({ code: 'ENOTFOUND' }), 'no such host name');
    assert.equal(said({ code: 'UND_ERR_CONNECT_TIMEOUT' }), 'the connection timed out');
    assert.equal(said({ name: 'TimeoutError' }), 'no answer within 10000 ms');
    assert.equal(said({ code: 'UND_ERR_HEADERS_TIMEOUT' }), 'no answer within 10000 ms');
    assert.equal(said({ cause: { code: 'ECONNRESET' } }), 'the connection was reset');
    assert.equal(said({ code: 'CERT_HAS_EXPIRED' }), 'its TLS certificate was not accepted (CERT_HAS_EXPIRED)');
    assert.equal(said({ code: 'EWHATEVER' }), 'the request failed (EWHATEVER)');
  });

  it("the CRM strings' plural forms resolve in the i18next of Node-RED 3.1 (v3 JSON) and of Node-RED 4.1 (v4 JSON)", async function () {
    const catalogs = path.resolve(__dirname, '..', 'nodes', 'locales');
    const said = {};
    for (const [version, util] of [
      ['3.1', require.resolve('node-red-3/node_modules/@node-red/util')],
      ['4.1', require.resolve('@node-red/util')],
    ]) {
      const { i18n } = require(util);
      await i18n.init({ lang: 'en-US' });
      await i18n.registerMessageCatalog('sales-webhooks-test', catalogs, 'sales-crm-account.json');
      const say = (key, params) => i18n._(`sales-webhooks-test:sales-crm-account.answer.${key}`, params);
      said[version] = [1, 2].map((count) => say('answered-after', { status: 503, count, reason: '' }));
    }
    assert.deepEqual(said, {
      3.1: ['the CRM answered 503 after 1 attempt', 'the CRM answered 503 after 2 attempts'],
      4.1: ['the CRM answered 503 after 1 attempt', 'the CRM answered 503 after 2 attempts'],
    });
  });
});

describe('Test connection of an HTTP API account', function () {
  this.timeout(20000);
  let emulator;
  let running;
  before(async () => {
    await helper.startServer();
    emulator = await startCrmEmulator({ token: 'http-api-token-9f8e7d6c' });
    running = await loadFlow(
      [accountNode],
      [{ id: 'acct', type: 'sales-crm-account', system: 'http', baseUrl: emulator.url }],
      {
        acct: { token: 'http-api-token-9f8e7d6c' },
      },
    );
  });
  after(async () => {
    await running.close();
    await helper.unload();
    await helper.stopServer();
    await emulator.close();
  });
  const testConnection = (baseUrl, token = 'http-api-token-9f8e7d6c') =>
    helper
      .request()
      .post('/sales-crm-account/test-connection')
      .send({ config: { system: 'http', auth: 'token', baseUrl }, credentials: { token } })
      .expect(200)
      .then((r) => r.body);

  it('fails when nothing answers at the URL, naming it and saying what happened', async function () {
    const port = await freePort();
    assert.deepEqual(await testConnection(`http://127.0.0.1:${port}/api`), {
      ok: false,
      message: `nothing answered at http://127.0.0.1:${port}/api (1 attempt): connection refused`,
    });
  });

  it('passes only when an HTTP server answered and took the token', async function () {
    const answered = await testConnection(emulator.url);
    assert.equal(answered.ok, true, answered.message);
    assert.match(answered.message, new RegExp(`^connected: ${emulator.url} answered 404`));
    const refused = await testConnection(emulator.url, 'not-the-token-0000');
    assert.equal(refused.ok, false);
    assert.match(refused.message, new RegExp(`^${emulator.url} refused the token: it answered 401`));
    assert.ok(!JSON.stringify(refused).includes('not-the-token-0000'));
  });
});

describe('rotated refresh tokens, kept beside the flows', function () {
  let dir;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rotated-tokens-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('wins only while the deployed token is the one it was rotated from; encrypted; unreadable with another key', function () {
    const file = path.join(dir, 'tokens.json');
    const store = new RotatedRefreshTokens(file, 'credential-secret-1');
    store.remember('acct', 'deployed-0', 'rotated-1');
    store.remember('acct', 'deployed-0', 'rotated-2');
    assert.equal(store.rotatedFrom('acct', 'deployed-0'), 'rotated-2');
    assert.equal(store.rotatedFrom('acct', 'pasted-by-the-user'), undefined, 'a token the user pasted wins');
    assert.equal(store.rotatedFrom('other', 'deployed-0'), undefined);
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!/rotated-|deployed-0/.test(text), text);
    assert.equal(fs.statSync(file).mode & 0o077, 0, 'readable by its owner only');
    assert.equal(new RotatedRefreshTokens(file, 'another-secret').rotatedFrom('acct', 'deployed-0'), undefined);
    store.forget('acct');
    assert.equal(store.rotatedFrom('acct', 'deployed-0'), undefined);
  });

  describe('in a real Node-RED process', function () {
    this.timeout(90000);
    let emulator;
    let nodeRed;
    afterEach(async () => {
      await nodeRed?.remove();
      await emulator?.close();
    });

    /** A lead posted to the flow; the flow answers 200 when the CRM took it, 502 with the reason when not. */
    const post = async (email) => {
      const res = await fetch(`${nodeRed.url}/lead-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(lead(email)),
      });
      return { status: res.status, text: await res.text() };
    };
    const flow = (credentials, loginUrl = emulator.url) => [
      { id: 'tab', type: 'tab', label: 'crm' },
      {
        id: 'acct',
        type: 'sales-crm-account',
        system: 'zoho',
        auth: 'refresh-token',
        loginUrl,
        maxAttempts: 1,
        ...(credentials ? { credentials } : {}),
      },
      { id: 'in', type: 'http in', z: 'tab', url: '/lead-in', method: 'post', wires: [['out']] },
      {
        id: 'out',
        type: 'sales-crm out',
        z: 'tab',
        account: 'acct',
        fieldMap: [],
        externalIdField: '',
        version: 1,
        wires: [['ok'], ['why']],
      },
      { id: 'ok', type: 'http response', z: 'tab', statusCode: '200', wires: [] },
      {
        id: 'why',
        type: 'function',
        z: 'tab',
        func: 'msg.statusCode = 502; msg.payload = msg.error && msg.error.message; return msg;',
        wires: [['no']],
      },
      { id: 'no', type: 'http response', z: 'tab', wires: [] },
    ];

    it('a refresh token the CRM rotated survives restarts and full deploys; a token the user pastes wins', async function () {
      emulator = await startCrmEmulator({
        oauth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshTokens: [REFRESH_TOKEN] },
      });
      emulator.rotateRefreshTokens(); // each refresh revokes the token it replaces, as Salesforce with rotation does
      nodeRed = await startNodeRed();
      // Node-RED's own i18next words the failure, with the count's plural form.
      const closed = `http://127.0.0.1:${await freePort()}`;
      await nodeRed.deploy(flow(CREDENTIALS, closed));
      assert.deepEqual(await post('nobody-there@example.com'), {
        status: 502,
        text: `no access token after 1 attempt: nothing answered at ${closed}/oauth/v2/token: connection refused`,
      });
      await nodeRed.deploy(flow(CREDENTIALS));
      const landed = async (email) => {
        const answer = await post(email);
        assert.equal(answer.status, 200, answer.text);
      };
      await landed('first@example.com');
      assert.equal(emulator.rotations.length, 1);

      // A restart: the deployed credentials still hold the revoked token; the rotated one must be sent.
      await nodeRed.stop();
      nodeRed = await startNodeRed({ userDir: nodeRed.userDir });
      await landed('after-restart@example.com');
      // A full deploy from the editor sends no unchanged secret.
      await nodeRed.deploy(flow());
      await landed('after-deploy@example.com');
      await nodeRed.stop();
      nodeRed = await startNodeRed({ userDir: nodeRed.userDir });
      await landed('after-deploy-and-restart@example.com');
      assert.equal(emulator.rotations.length, 4);
      for (let i = 1; i < 4; i++)
        assert.equal(emulator.rotations[i].from, emulator.rotations[i - 1].to, `rotation ${i}`);

      // Kept encrypted beside the flows, never in the clear.
      const kept = fs.readFileSync(path.join(nodeRed.userDir, ROTATED_TOKENS_FILE), 'utf8');
      for (const { to } of emulator.rotations) assert.ok(!kept.includes(to));

      // The user pastes a new refresh token and deploys: it wins over every rotation made before, and after a restart.
      emulator.addRefreshToken('pasted-by-the-user-5d4c3b2a19');
      await nodeRed.deploy(flow({ ...CREDENTIALS, refreshToken: 'pasted-by-the-user-5d4c3b2a19' }));
      await landed('pasted@example.com');
      assert.equal(emulator.rotations[4].from, 'pasted-by-the-user-5d4c3b2a19');
      await nodeRed.stop();
      nodeRed = await startNodeRed({ userDir: nodeRed.userDir });
      await landed('pasted-after-restart@example.com');
      assert.equal(emulator.rotations[5].from, emulator.rotations[4].to);
      assert.equal(emulator.zoho.leads.size, 6);
    });
  });
});
