'use strict';
// CRM accounts that keep working overnight: OAuth tokens fetched, cached, renewed and refreshed on a 401, one refresh
// at a time; a refused refresh stops the account with the CRM's reason; Zoho CRM. Real Node-RED runtime
// (node-red-node-test-helper), real HTTP to the loopback CRM emulator, a real RS256 key pair for the JWT bearer flow.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { helper, loadFlow, collect, settle, coreNode } = require('./support/flow');
const { startCrmEmulator } = require('./support/crm-emulator');
const {
  scrub,
  safeReason,
  accountSettings,
  CrmConfigError,
  normalisePem,
  isExpiredTokenAnswer,
} = require('../dist/crm');
const accountNode = require('../nodes/sales-crm-account.js');
const crmOutNode = require('../nodes/sales-crm-out.js');
const statusNode = coreNode('common/25-status.js');

const CLIENT_ID = '3MVG9lKcPoNINVBJSoQsNCD.HHDdbugPsNXwwyFbgb47KWa_PTv';
const CLIENT_SECRET = 'client-secret-5A1F0E2B9C7D4e3f';
const REFRESH_TOKEN = '5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJo7Xr34yOQ7GCFUN5DnNPxzDIoGoWi4evqOl_QQ==';
const lead = (email, extra = {}) => ({
  email,
  fullName: 'Prakash Mudhaliyar',
  firstName: 'Prakash',
  lastName: 'Mudhaliyar',
  phone: '+919876543210',
  source: { provider: 'saleassist', eventType: 'widget_new_conversation' },
  custom: {},
  ...extra,
});

describe('CRM OAuth units', function () {
  it('scrubs a secret before cutting, whatever case or escaping the CRM echoes it in', function () {
    const secret = 'Ab/Cd+Ef=Gh_token_1234567890';
    const echoes = [
      secret,
      secret.toUpperCase(),
      secret.toLowerCase(),
      JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'), // JSON with \/ as PHP and Java encoders write it
      encodeURIComponent(secret),
      new URLSearchParams({ t: secret }).toString().slice(2),
    ];
    for (const echo of echoes) assert.equal(scrub(`token ${echo} refused`, [secret]), 'token [redacted] refused', echo);
    // A token that straddles the cut: the old code cut first and leaked its first characters.
    const reason = `${'x'.repeat(490)} ${secret}`;
    const safe = safeReason({ message: reason }, '', [secret], 500);
    assert.ok(!safe.includes(secret.slice(0, 6)), safe);
    assert.ok(!safe.toLowerCase().includes(secret.slice(0, 6).toLowerCase()), safe);
    // The raw text of a non-JSON answer is scrubbed too, in its escaped form.
    assert.equal(safeReason(undefined, `{"echo":"${secret.replace(/\//g, '\\/')}"`, [secret]), '{"echo":"[redacted]"');
  });

  it("reads Zoho's and OAuth servers' reasons", function () {
    assert.equal(
      safeReason(
        {
          data: [
            {
              code: 'MANDATORY_NOT_FOUND',
              details: { api_name: 'Last_Name' },
              message: 'required field not found',
              status: 'error',
            },
          ],
        },
        '',
        [],
      ),
      'MANDATORY_NOT_FOUND: required field not found',
    );
    assert.equal(
      safeReason({ error: 'invalid_grant', error_description: 'expired access/refresh token' }, '', []),
      'invalid_grant: expired access/refresh token',
    );
    assert.equal(
      safeReason({ code: 'INVALID_TOKEN', message: 'invalid oauth token', status: 'error' }, '', []),
      'INVALID_TOKEN: invalid oauth token',
    );
  });

  it('names the missing field for each way to authenticate; a saved account without auth uses its token', function () {
    const field = (raw, creds) => {
      try {
        accountSettings(raw, creds);
      } catch (e) {
        assert.ok(e instanceof CrmConfigError);
        return e.field;
      }
      assert.fail('expected an error');
    };
    assert.equal(accountSettings({ system: 'hubspot' }, { token: 't0k3n' }).auth, 'token');
    assert.equal(field({ system: 'hubspot', auth: 'jwt' }, {}), 'auth');
    assert.equal(field({ system: 'salesforce', auth: 'client-credentials' }, { clientId: 'a' }), 'clientSecret');
    assert.equal(
      field({ system: 'salesforce', auth: 'client-credentials' }, { clientId: 'a', clientSecret: 'b' }),
      'loginUrl',
    );
    assert.equal(field({ system: 'salesforce', auth: 'jwt' }, { clientId: 'a', privateKey: 'k' }), 'username');
    assert.equal(field({ system: 'zoho' }, { clientId: 'a', clientSecret: 'b' }), 'refreshToken');
    assert.equal(
      field({ system: 'zoho', dataCenter: 'mars' }, { clientId: 'a', clientSecret: 'b', refreshToken: 'c' }),
      'dataCenter',
    );
    assert.equal(
      field(
        { system: 'http', auth: 'client-credentials', baseUrl: 'https://x.example' },
        { clientId: 'a', clientSecret: 'b' },
      ),
      'loginUrl',
    );
    const zoho = accountSettings(
      { system: 'zoho', dataCenter: 'in' },
      { clientId: 'a', clientSecret: 'b', refreshToken: 'c' },
    );
    assert.equal(zoho.loginUrl, 'https://accounts.zoho.in');
    assert.equal(zoho.auth, 'refresh-token');
    // Salesforce OAuth needs no instance URL: the token answer names it.
    assert.equal(
      accountSettings(
        { system: 'salesforce', auth: 'refresh-token' },
        { clientId: 'a', clientSecret: 'b', refreshToken: 'c' },
      ).loginUrl,
      'https://login.salesforce.com',
    );
  });

  it('knows which 401s mean an expired token', function () {
    const s = (system, auth = 'refresh-token') => ({ system, auth });
    assert.ok(isExpiredTokenAnswer(s('salesforce'), 401, [{ errorCode: 'INVALID_SESSION_ID' }], ''));
    assert.ok(isExpiredTokenAnswer(s('zoho'), 401, { code: 'INVALID_TOKEN' }, ''));
    assert.ok(!isExpiredTokenAnswer(s('zoho'), 401, { code: 'OAUTH_SCOPE_MISMATCH' }, ''));
    assert.ok(isExpiredTokenAnswer(s('hubspot'), 401, { category: 'EXPIRED_AUTHENTICATION' }, ''));
    assert.ok(
      !isExpiredTokenAnswer(s('hubspot', 'token'), 401, { category: 'EXPIRED_AUTHENTICATION' }, ''),
      'a pasted token cannot be renewed',
    );
    assert.ok(!isExpiredTokenAnswer(s('pipedrive'), 403, {}, ''));
  });

  it("addresses the JWT to Salesforce's login server even when it is posted to a My Domain URL", function () {
    const { jwtAudience } = require('../dist/crm');
    assert.equal(jwtAudience('https://login.salesforce.com'), 'https://login.salesforce.com');
    assert.equal(jwtAudience('https://test.salesforce.com/'), 'https://test.salesforce.com');
    assert.equal(jwtAudience('https://acme.my.salesforce.com'), 'https://login.salesforce.com');
    assert.equal(jwtAudience('https://acme--uat.sandbox.my.salesforce.com'), 'https://test.salesforce.com');
  });

  it('puts the line breaks back into a PEM pasted into a one-line field', function () {
    const { privateKey } = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const flattened = privateKey.replace(/\n/g, ' ');
    assert.throws(() => crypto.createPrivateKey(flattened));
    assert.equal(crypto.createPrivateKey(normalisePem(flattened)).asymmetricKeyType, 'rsa');
  });
});

describe('sales-crm out with OAuth', function () {
  this.timeout(30000);
  const env = { emulator: undefined, running: undefined };
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await env.running?.close();
    env.running = undefined;
    await helper.unload();
    await env.emulator?.close();
  });

  /** A flow with one account (`account` may be a function of the emulator's URL), `outs` sales-crm out nodes on it, their outputs and statuses. */
  async function start({ oauth = {}, account, credentials, outs = [{}], delays = { minDelay: 20, maxDelay: 100 } }) {
    env.emulator = await startCrmEmulator({
      token: 'static-token-never-used-here',
      oauth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshTokens: [REFRESH_TOKEN], ...oauth },
    });
    const flow = [
      {
        id: 'acct',
        type: 'sales-crm-account',
        maxAttempts: 4,
        ...delays,
        timeout: 3000,
        concurrency: 4,
        loginUrl: env.emulator.url,
        ...(typeof account === 'function' ? account(env.emulator.url) : account),
      },
    ];
    outs.forEach((out, i) =>
      flow.push(
        {
          id: `out${i}`,
          type: 'sales-crm out',
          z: 'f',
          account: 'acct',
          fieldMap: [],
          version: 1,
          ...out,
          wires: [[`sent${i}`], [`failed${i}`]],
        },
        { id: `sent${i}`, type: 'helper', z: 'f' },
        { id: `failed${i}`, type: 'helper', z: 'f' },
      ),
    );
    // One status node for all (the test helper loads a core node's module once per node of that type).
    flow.push(
      { id: 'watch', type: 'status', z: 'f', scope: outs.map((_, i) => `out${i}`), wires: [['statuses']] },
      { id: 'statuses', type: 'helper', z: 'f' },
    );
    env.running = await loadFlow([accountNode, crmOutNode, statusNode], flow, {
      acct: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN, ...credentials },
    });
    const nodes = outs.map((_, i) => {
      const statuses = [];
      helper.getNode('statuses').on('input', (m) => {
        if (m.status.source.id === `out${i}`) statuses.push(m.status);
      });
      return {
        out: helper.getNode(`out${i}`),
        sent: helper.getNode(`sent${i}`),
        failed: helper.getNode(`failed${i}`),
        statuses,
      };
    });
    return Object.assign(nodes[0], { all: nodes });
  }
  const burst = async (nodes, emails, timeoutMs = 10000) => {
    const got = collect(nodes.sent, emails.length, timeoutMs);
    for (const email of emails) nodes.out.receive({ payload: lead(email) });
    return got;
  };
  const noFailures = (nodes) => nodes.failed.on('input', (m) => assert.fail(JSON.stringify(m.error)));

  it("HubSpot refresh token: a burst across the token's expiry lands every lead once, with exactly one refresh", async function () {
    const n = await start({
      oauth: { tokenLifeMs: 1500 },
      account: (url) => ({ system: 'hubspot', auth: 'refresh-token', baseUrl: url }),
    });
    noFailures(n);
    const first = Array.from({ length: 10 }, (_, i) => `early${i}@example.com`);
    const second = Array.from({ length: 10 }, (_, i) => `late${i}@example.com`);
    await burst(n, first);
    assert.equal(env.emulator.tokenRequests.length, 1, 'ten leads waited for one token');
    await settle(1500); // the first token has expired now
    const messages = await burst(n, second);
    assert.deepEqual(
      env.emulator.tokenRequests.map((t) => t.grantType),
      ['refresh_token', 'refresh_token'],
      'exactly one refresh for ten waiting leads',
    );
    assert.deepEqual(
      [...env.emulator.hubspot.contacts.values()].map((c) => c.properties.email).sort(),
      [...first, ...second].sort(),
    );
    assert.ok(messages.every((m) => m.crm.attempts === 1));
    assert.ok(
      !env.emulator.requests.some(
        (r) => r.path.startsWith('/crm/') && r.headers.authorization === 'Bearer static-token-never-used-here',
      ),
    );
  });

  it('Salesforce client credentials: a 401 INVALID_SESSION_ID mid-run makes one refresh, and every lead is sent again, not counted as failed', async function () {
    const nodes = await start({
      account: { system: 'salesforce', auth: 'client-credentials' },
      outs: [{ externalIdField: 'Email' }],
    });
    noFailures(nodes);
    await burst(nodes, ['before@example.com']);
    assert.equal(env.emulator.tokenRequests.length, 1);
    env.emulator.expireTokens(); // Salesforce sends no expires_in: the session times out on the server's side
    const emails = Array.from({ length: 8 }, (_, i) => `after${i}@example.com`);
    const messages = await burst(nodes, emails);
    // Leads go in batches now: count the calls that carried the expired session, not calls per lead.
    const leadCalls = env.emulator.requests.filter((r) => r.path.includes('/sobjects/Lead'));
    const expired = leadCalls[0].headers.authorization;
    assert.ok(
      leadCalls.slice(1).some((r) => r.headers.authorization === expired),
      'some requests met the expired session',
    );
    assert.notEqual(leadCalls.at(-1).headers.authorization, expired, 'and were sent again with the new one');
    assert.deepEqual(
      env.emulator.tokenRequests.map((t) => t.grantType),
      ['client_credentials', 'client_credentials'],
      'one refresh however many requests met the 401',
    );
    assert.ok(
      messages.every((m) => m.crm.attempts === 1),
      JSON.stringify(messages.map((m) => m.crm.attempts)),
    );
    assert.equal(env.emulator.salesforce.leads.size, emails.length + 1);
  });

  it("Salesforce JWT bearer: an RS256 assertion signed with the app's key gets a token; a key the app does not know is refused", async function () {
    const pair = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const username = 'integration@acme.example';
    // Pasted into a one-line password field, the key arrives without its line breaks.
    let nodes = await start({
      oauth: { jwtPublicKey: pair.publicKey, username },
      account: { system: 'salesforce', auth: 'jwt' },
      credentials: { clientSecret: '', refreshToken: '', privateKey: pair.privateKey.replace(/\n/g, ' '), username },
      outs: [{ externalIdField: 'Email' }],
    });
    noFailures(nodes);
    const [msg] = await burst(nodes, ['jwt@example.com']);
    assert.equal(msg.crm.action, 'created');
    assert.deepEqual(
      env.emulator.tokenRequests.map((t) => t.grantType),
      ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
    );
    await env.running.close();
    await helper.unload();
    await env.emulator.close();

    const stranger = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    nodes = await start({
      oauth: { jwtPublicKey: pair.publicKey, username },
      account: { system: 'salesforce', auth: 'jwt' },
      credentials: { privateKey: stranger.privateKey, username },
      outs: [{ externalIdField: 'Email' }],
    });
    const failed = collect(nodes.failed);
    nodes.out.receive({ payload: lead('jwt@example.com') });
    const [refused] = await failed;
    assert.match(refused.error.message, /invalid_grant: invalid assertion: signature/);
    assert.equal(env.emulator.salesforce.leads.size, 0);
  });

  it('a revoked refresh token: leads go to output 2 with the reason, the status turns red, nothing more is sent, and no secret appears anywhere', async function () {
    const nodes = await start({ account: { system: 'pipedrive', auth: 'refresh-token' } });
    env.emulator.revoke(REFRESH_TOKEN, { echo: true }); // the token server even quotes the secrets back, upper-cased
    const debug = [];
    nodes.failed.on('input', (m) => debug.push(m));
    const got = collect(nodes.failed, 2, 8000);
    nodes.out.receive({ payload: lead('first@example.com') });
    await settle(300);
    nodes.out.receive({ payload: lead('second@example.com') });
    const [first, second] = await got;
    assert.match(
      first.error.message,
      /refused this account's credentials \(invalid_grant: expired access\/refresh token/,
    );
    assert.equal(first.error.crmMessage, 'invalid_grant: expired access/refresh token ([redacted], client [redacted])');
    assert.equal(first.payload.email, 'first@example.com', 'the lead is kept');
    assert.match(second.error.message, /refused/);
    assert.equal(env.emulator.tokenRequests.length, 1, 'a refused account stops asking');
    assert.ok(!env.emulator.requests.some((r) => r.path.startsWith('/api/v1/')), 'no lead request without a token');
    await settle(400);
    const red = nodes.statuses.filter((s) => s.fill === 'red');
    assert.ok(
      red.some((s) => /credentials refused: invalid_grant/.test(s.text)),
      JSON.stringify(nodes.statuses),
    );
    const everything = JSON.stringify({ debug, statuses: nodes.statuses, logs: helper.log().args });
    for (const secret of [REFRESH_TOKEN, CLIENT_SECRET]) {
      for (const form of [
        secret,
        secret.toUpperCase(),
        encodeURIComponent(secret),
        secret.slice(0, 12),
        secret.toUpperCase().slice(0, 12),
      ]) {
        assert.ok(!everything.includes(form), `found ${form.slice(0, 4)}… in the output`);
      }
    }
  });

  it('Zoho CRM: data centre, api_domain from the token answer, a Lead created then updated through /crm/v8/Leads/upsert; a 429 is retried', async function () {
    const nodes = await start({
      oauth: { tokenLifeMs: 3600_000 },
      account: { system: 'zoho', auth: 'refresh-token', dataCenter: 'in' },
      outs: [{ externalIdField: '' }],
    });
    noFailures(nodes);
    env.emulator.fault({ status: 429, times: 1, retryAfter: 0, match: /upsert/ });
    const [created] = await burst(nodes, ['prakashm@athenabpo.in']);
    assert.equal(created.crm.system, 'zoho');
    assert.equal(created.crm.action, 'created');
    assert.equal(created.crm.attempts, 2);
    const got = collect(nodes.sent);
    nodes.out.receive({
      payload: lead('prakashm@athenabpo.in', { company: 'Athena BPO', lastName: undefined, fullName: 'Prakash M' }),
    });
    const [updated] = await got;
    assert.equal(updated.crm.action, 'updated');
    assert.equal(updated.crm.id, created.crm.id);
    assert.equal(env.emulator.zoho.leads.size, 1);
    const record = env.emulator.zoho.leads.get(created.crm.id).fields;
    assert.equal(record.Company, 'Athena BPO');
    assert.equal(record.Last_Name, 'Prakash M');
    const upserts = env.emulator.requests.filter((r) => r.path === '/crm/v8/Leads/upsert');
    assert.deepEqual(upserts.at(-1).body.duplicate_check_fields, ['Email']);
    assert.match(upserts.at(-1).headers.authorization, /^Zoho-oauthtoken at_/);
    assert.deepEqual(
      env.emulator.tokenRequests.map((t) => t.system),
      ['zoho'],
    );
    // The token lives an hour, so only Zoho's 401 INVALID_TOKEN can cause this refresh; the lead is sent again.
    env.emulator.expireTokens();
    const [third] = await burst(nodes, ['second@athenabpo.in']);
    assert.equal(third.crm.attempts, 1);
    assert.deepEqual(
      env.emulator.tokenRequests.map((t) => t.system),
      ['zoho', 'zoho'],
    );
  });

  it('a token server that is briefly down (503) is retried like the CRM, not taken for a refusal', async function () {
    const nodes = await start({ account: { system: 'zoho', auth: 'refresh-token' } });
    noFailures(nodes);
    env.emulator.fault({ status: 503, times: 1, match: /oauth\/v2\/token/ });
    const [msg] = await burst(nodes, ['later@example.com']);
    assert.equal(msg.crm.attempts, 2);
    assert.equal(env.emulator.zoho.leads.size, 1);
  });

  it("two nodes on one account each show their own retries; closing one leaves the other's", async function () {
    const nodes = await start({
      account: (url) => ({ system: 'hubspot', auth: 'refresh-token', baseUrl: url }),
      outs: [{}, {}],
      delays: { minDelay: 600, maxDelay: 600 },
    }); // a retry waits 300–600 ms, longer than the status throttle
    const seen = { s0: nodes.all[0].statuses, s1: nodes.all[1].statuses };
    env.emulator.fault({ status: 503, times: 2, match: /contacts/ });
    await burst(nodes.all[0], ['retry@example.com']);
    await settle(400);
    assert.ok(
      seen.s0.some((s) => /^retrying/.test(s.text)),
      JSON.stringify(seen.s0),
    );
    assert.ok(
      !seen.s1.some((s) => /retrying/.test(s.text)),
      `the other node showed a retry it never made: ${JSON.stringify(seen.s1)}`,
    );
    // Closing the second node (a partial deploy that removes it) must not silence the first one's retries.
    await new Promise((resolve) => helper.getNode('out1').close(true).then(resolve, resolve));
    env.emulator.fault({ status: 503, times: 1, match: /contacts/ });
    seen.s0.length = 0;
    await burst(nodes.all[0], ['again@example.com']);
    await settle(400);
    assert.ok(
      seen.s0.some((s) => /^retrying/.test(s.text)),
      JSON.stringify(seen.s0),
    );
  });

  describe("Test connection (the admin endpoint behind the dialog's button)", function () {
    const testConnection = (body) =>
      helper
        .request()
        .post('/sales-crm-account/test-connection')
        .send(body)
        .expect(200)
        .then((r) => r.body);

    it("Zoho: a token from the data centre's accounts server, then who the user is; Salesforce: the CRM's reason for a wrong secret, scrubbed", async function () {
      await start({ account: { system: 'zoho', auth: 'refresh-token', dataCenter: 'in' } });
      const zoho = await testConnection({
        config: { system: 'zoho', auth: 'refresh-token', dataCenter: 'in', loginUrl: env.emulator.url },
        credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN },
      });
      assert.deepEqual(zoho, { ok: true, message: `connected as zoe@acme.example on ${env.emulator.url}` });
      const wrong = await testConnection({
        config: { system: 'salesforce', auth: 'client-credentials', loginUrl: env.emulator.url },
        credentials: { clientId: CLIENT_ID, clientSecret: 'not-the-secret-42' },
      });
      assert.equal(wrong.ok, false);
      assert.match(wrong.message, /invalid_client: invalid client credentials/);
      const down = await testConnection({
        config: { system: 'zoho', loginUrl: 'http://127.0.0.1:9' },
        credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN },
      });
      assert.deepEqual(down, {
        ok: false,
        message: 'nothing answered at http://127.0.0.1:9/oauth/v2/token: connection refused',
      });
      const missing = await testConnection({
        config: { system: 'salesforce', auth: 'jwt', loginUrl: env.emulator.url },
        credentials: { clientId: CLIENT_ID },
      });
      assert.deepEqual(missing, {
        ok: false,
        field: 'username',
        message: 'enter the Salesforce user name the token is issued for',
      });
    });

    it("uses the stored secret for a field left as __PWRD__, only against the deployed servers, and only a CRM account's", async function () {
      await start({ account: { system: 'pipedrive', auth: 'refresh-token' } });
      const config = { system: 'pipedrive', auth: 'refresh-token', loginUrl: env.emulator.url };
      const stored = { clientId: CLIENT_ID, clientSecret: '__PWRD__', refreshToken: '__PWRD__' };
      const answer = await testConnection({ id: 'acct', config, credentials: stored });
      assert.equal(answer.ok, true, answer.message);
      assert.match(answer.message, /sam@seller\.example at Acme/);
      const elsewhere = await testConnection({
        id: 'acct',
        config: { ...config, loginUrl: 'http://127.0.0.1:9' },
        credentials: stored,
      });
      assert.equal(elsewhere.ok, false);
      assert.match(elsewhere.message, /only sent to the servers the deployed account uses/);
      const otherNode = await testConnection({ id: 'out0', config, credentials: stored });
      assert.equal(otherNode.ok, false);
      assert.equal(otherNode.field, 'clientSecret');
      assert.equal(env.emulator.tokenRequests.length, 1);
    });
  });
});
