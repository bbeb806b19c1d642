'use strict';
// sales-crm out against loopback emulators of HubSpot, Salesforce, Pipedrive and an HTTP API, over real HTTP.
const assert = require('node:assert/strict');
const { helper, loadFlow, postRaw, collect, settle, coreNode } = require('./support/flow');
const { startCrmEmulator } = require('./support/crm-emulator');
const send = require('./support/senders');
const { leadsToCrmFlow, signedLead } = require('./support/leads-load');
const { inboxConsumer } = require('../dist/delivery/registry');
const { getLeadPreset } = require('../dist/providers/registry');
const {
  parseRetryAfter,
  backoffDelay,
  accountSettings,
  buildFields,
  CrmConfigError,
  CrmHttp,
  listCrmFields,
  previewLeadRequests,
  deliveryFor,
} = require('../dist/crm');
const { migrate } = require('../dist/migrations');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');
const leadMapNode = require('../nodes/sales-lead-map.js');
const accountNode = require('../nodes/sales-crm-account.js');
const crmOutNode = require('../nodes/sales-crm-out.js');
const catchNode = coreNode('common/25-catch.js');

const TOKEN = 'crm-token-3e9f1c77a2';
const lead = (email, extra = {}) => ({
  email,
  fullName: 'Prakash Mudhaliyar',
  firstName: 'Prakash',
  lastName: 'Mudhaliyar',
  phone: '+919876543210',
  city: 'Thane',
  source: { provider: 'saleassist', eventType: 'widget_new_conversation' },
  custom: {},
  ...extra,
});

describe('CRM units', function () {
  it('reads Retry-After as seconds or an HTTP date', function () {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:03 GMT', now), 3000);
  });

  it('backs off exponentially with jitter, capped', function () {
    assert.equal(
      backoffDelay(1, 500, 30000, () => 0),
      250,
    );
    assert.equal(
      backoffDelay(1, 500, 30000, () => 1),
      500,
    );
    assert.equal(
      backoffDelay(4, 500, 30000, () => 1),
      4000,
    );
    assert.equal(
      backoffDelay(20, 500, 30000, () => 1),
      30000,
    );
  });

  it('names the field of an unusable account setting, never quoting the token', function () {
    const key = (raw, creds) => {
      try {
        accountSettings(raw, creds);
      } catch (e) {
        assert.ok(e instanceof CrmConfigError);
        assert.ok(!e.message.includes(TOKEN));
        return e.field;
      }
      assert.fail('expected an error');
    };
    assert.equal(key({ system: 'nosuch' }, { token: TOKEN }), 'system');
    assert.equal(key({ system: 'hubspot' }, {}), 'token');
    assert.equal(key({ system: 'salesforce' }, { token: TOKEN }), 'instanceUrl');
    assert.equal(key({ system: 'http', baseUrl: 'ftp://x' }, { token: TOKEN }), 'baseUrl');
    assert.equal(key({ system: 'hubspot', maxAttempts: 0 }, { token: TOKEN }), 'maxAttempts');
    assert.equal(key({ system: 'hubspot', minDelay: 900, maxDelay: 100 }, { token: TOKEN }), 'maxDelay');
    assert.deepEqual(accountSettings({ system: 'hubspot' }, { token: TOKEN }), {
      system: 'hubspot',
      auth: 'token',
      baseUrl: 'https://api.hubapi.com',
      baseUrlFromUser: false,
      loginUrl: '',
      dataCenter: '',
      apiVersion: '2026-09',
      maxAttempts: 5,
      minDelayMs: 500,
      maxDelayMs: 30000,
      timeoutMs: 10000,
      concurrency: 4,
      batchWindowMs: 250,
      rateLimit: 0,
    });
  });

  it('builds the CRM fields from dotted lead paths and leaves empty values out', function () {
    assert.deepEqual(
      buildFields(lead('a@b.co', { tags: ['x', 'y'], custom: { score: 9 } }), [
        { crmField: 'Email', leadField: 'email' },
        { crmField: 'Company', leadField: 'company' },
        { crmField: 'LeadSource', leadField: 'source.provider' },
        { crmField: 'Tags', leadField: 'tags' },
        { crmField: 'Score__c', leadField: 'custom.score' },
      ]),
      { Email: 'a@b.co', LeadSource: 'saleassist', Tags: 'x;y', Score__c: 9 },
    );
  });

  it('scrubs a token from CRM text in every form it may come back in', function () {
    const { scrub } = require('../dist/crm');
    const token = 'tok+en/with=chars';
    assert.equal(
      scrub(
        `a ${token} b ${encodeURIComponent(token)} c api_token=${new URLSearchParams({ t: token }).toString().slice(2)}`,
        [token],
      ),
      'a [redacted] b [redacted] c api_token=[redacted]',
    );
  });

  it('migrates a node saved before versions, when the field map was an object', function () {
    assert.deepEqual(migrate('sales-crm out', { account: 'a', fieldMap: { Email: 'email' } }), {
      account: 'a',
      fieldMap: [{ crmField: 'Email', leadField: 'email' }],
      method: 'POST',
      externalIdField: '',
      url: '',
      version: 1,
    });
  });
});

describe('CRM systems: fields, the request for a test lead, limits', function () {
  let emulator;
  before(async () => {
    emulator = await startCrmEmulator({ token: TOKEN, hubspotRequired: ['lifecyclestage'] });
  });
  after(() => emulator.close());
  const OAUTH = {
    clientId: 'emulator-client-id',
    clientSecret: 'emulator-client-secret',
    refreshToken: 'emulator-refresh-token',
  };
  const account = (system) => {
    const zoho = system === 'zoho';
    const credentials = zoho
      ? OAUTH
      : { token: TOKEN, ...(system === 'salesforce' ? { instanceUrl: emulator.url } : {}) };
    const settings = accountSettings(
      { system, baseUrl: emulator.url, ...(zoho ? { auth: 'refresh-token', loginUrl: emulator.url } : {}) },
      credentials,
    );
    return { settings, client: new CrmHttp(settings, credentials) };
  };
  const fieldsOf = async (system) => {
    const { settings, client } = account(system);
    try {
      return Object.fromEntries((await listCrmFields(client, settings)).map((f) => [f.name, f]));
    } finally {
      await client.close();
    }
  };

  it("lists each CRM's fields through the account, custom ones included, required ones marked, with their types", async function () {
    const hubspot = await fieldsOf('hubspot');
    assert.deepEqual(
      [hubspot.lifecyclestage.required, hubspot.lifecyclestage.accepts, hubspot.lifecyclestage.options],
      [true, 'enumeration', ['subscriber', 'lead', 'customer']],
      "the portal's required property, from the object schema",
    );
    assert.deepEqual([hubspot.lead_score_webinar.custom, hubspot.lead_score_webinar.accepts], [true, 'number']);
    assert.equal(hubspot.hs_object_id.writable, false);
    assert.ok(emulator.requests.some((r) => r.path === '/crm/properties/2026-09/contacts'));

    const salesforce = await fieldsOf('salesforce');
    assert.equal(salesforce.LastName.required, true);
    assert.equal(salesforce.Status.required, false, 'a field with a default is not required');
    assert.deepEqual([salesforce.Region__c.custom, salesforce.Region__c.required], [true, true]);
    assert.equal(salesforce.Webinar_Score__c.accepts, 'number');
    assert.ok(emulator.requests.some((r) => r.path === '/services/data/v68.0/sobjects/Lead/describe'));

    const pipedrive = await fieldsOf('pipedrive');
    const custom = pipedrive.a1b2c3d4e5f60718293a4b5c6d7e8f9012345678;
    assert.deepEqual([custom.custom, custom.required, custom.options], [true, true, ['Spring', 'Autumn']]);
    assert.equal(pipedrive.name.required, true);

    const zoho = await fieldsOf('zoho');
    assert.deepEqual(
      [zoho.Last_Name.required, zoho.Webinar_Score.custom, zoho.Created_Time.writable],
      [true, true, false],
    );
  });

  it('builds the exact request a lead would be sent with, for "Send test lead"', function () {
    const { settings } = account('hubspot');
    const [request] = previewLeadRequests(settings, lead('Preview@Example.com', { score: 7 }), {
      fieldMap: [
        { crmField: 'email', leadField: 'email' },
        { crmField: 'hs_lead_score', leadField: 'score' },
      ],
    });
    assert.deepEqual(request, {
      method: 'POST',
      path: '/crm/objects/2026-09/contacts/batch/upsert',
      body: {
        inputs: [
          {
            id: 'preview@example.com',
            idProperty: 'email',
            objectWriteTraceId: 'preview@example.com',
            properties: { email: 'preview@example.com', hs_lead_score: '7' },
          },
        ],
      },
    });
    const pipedrive = previewLeadRequests(account('pipedrive').settings, lead('p@example.com'), {
      fieldMap: [
        { crmField: 'name', leadField: 'fullName' },
        { crmField: 'email', leadField: 'email' },
      ],
    });
    assert.deepEqual(
      pipedrive.map((r) => `${r.method} ${r.path}`),
      ['GET /api/v2/persons/search', 'POST /api/v2/persons', 'POST /api/v1/leads'],
    );
    assert.throws(
      () =>
        previewLeadRequests(account('salesforce').settings, lead(undefined), {
          fieldMap: [],
          externalIdField: 'Email',
        }),
      /no value for Email/,
    );
  });

  it("paces an account to the CRM's documented limit unless it names its own (HubSpot 190 per 10 s)", function () {
    const paced = (raw) => {
      const settings = accountSettings({ system: 'hubspot', ...raw }, { token: TOKEN });
      return deliveryFor(new CrmHttp(settings, { token: TOKEN }), settings).pacer.current;
    };
    assert.deepEqual(paced({}), { requests: 100, intervalMs: 10_000 });
    assert.deepEqual(paced({ rateLimit: 190 }), { requests: 190, intervalMs: 10_000 });
    assert.throws(
      () => accountSettings({ system: 'hubspot', apiVersion: 'v3' }, { token: TOKEN }),
      /looks like 2026-09/,
    );
    assert.equal(
      accountSettings({ system: 'salesforce', instanceUrl: 'x' }, { token: TOKEN, instanceUrl: 'https://x.example' })
        .apiVersion,
      'v68.0',
    );
  });
});

/** Mocha hooks shared by the suites below: the runtime, and a fresh emulator per test. */
function withEmulatorAndRuntime() {
  const env = { emulator: undefined, running: undefined };
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(async () => {
    env.emulator = await startCrmEmulator({ token: TOKEN });
  });
  afterEach(async () => {
    await env.running?.close();
    env.running = undefined;
    await helper.unload();
    await env.emulator.close();
  });
  return env;
}

describe('sales-crm out', function () {
  const env = withEmulatorAndRuntime();

  const ACCOUNT_DEFAULTS = { maxAttempts: 5, minDelay: 20, maxDelay: 200, timeout: 2000, concurrency: 4 };
  async function start(system, { account = {}, out = {}, credentials = {} } = {}) {
    const flow = [
      { id: 'acct', type: 'sales-crm-account', system, baseUrl: env.emulator.url, ...ACCOUNT_DEFAULTS, ...account },
      {
        id: 'out',
        type: 'sales-crm out',
        z: 'f',
        x: 300,
        y: 100,
        account: 'acct',
        fieldMap: [],
        version: 1,
        ...out,
        wires: [['sent'], ['failed']],
      },
      { id: 'sent', type: 'helper', z: 'f', x: 500, y: 100 },
      { id: 'failed', type: 'helper', z: 'f', x: 500, y: 160 },
      { id: 'catcher', type: 'catch', z: 'f', x: 300, y: 200, scope: ['out'], wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f', x: 500, y: 200 },
    ];
    const creds = {
      token: TOKEN,
      ...(system === 'salesforce' ? { instanceUrl: env.emulator.url } : {}),
      ...credentials,
    };
    env.running = await loadFlow([accountNode, crmOutNode, catchNode], flow, { acct: creds });
    return {
      out: helper.getNode('out'),
      sent: helper.getNode('sent'),
      failed: helper.getNode('failed'),
      caught: helper.getNode('caught'),
    };
  }
  const deliver = async (nodes, payload, output = 'sent') => {
    const got = collect(nodes[output], 1, 8000);
    nodes.out.receive({ payload });
    return (await got)[0];
  };

  it('HubSpot: creates a contact, then updates it on the 409 conflict', async function () {
    const nodes = await start('hubspot');
    const first = await deliver(nodes, lead('prakashm@athenabpo.in'));
    assert.deepEqual(
      { ...first.crm, id: undefined },
      { system: 'hubspot', id: undefined, action: 'created', attempts: 1 },
    );
    const second = await deliver(nodes, lead('prakashm@athenabpo.in', { city: 'Mumbai' }));
    assert.equal(second.crm.action, 'updated');
    assert.equal(second.crm.id, first.crm.id);
    assert.equal(env.emulator.hubspot.contacts.size, 1);
    const contact = env.emulator.hubspot.contacts.get(first.crm.id);
    assert.deepEqual(contact.properties, {
      email: 'prakashm@athenabpo.in',
      firstname: 'Prakash',
      lastname: 'Mudhaliyar',
      phone: '+919876543210',
      city: 'Mumbai',
    });
    assert.equal(env.emulator.requests[0].headers.authorization, `Bearer ${TOKEN}`);
  });

  it('Salesforce: upserts a Lead by the external id field, filling LastName and Company', async function () {
    const nodes = await start('salesforce', { out: { externalIdField: 'Email' } });
    const first = await deliver(
      nodes,
      lead('dana@northwind.example', { lastName: undefined, fullName: 'Dana', firstName: 'Dana' }),
    );
    assert.equal(first.crm.action, 'created');
    const second = await deliver(nodes, lead('dana@northwind.example', { company: 'Northwind' }));
    assert.equal(second.crm.action, 'updated');
    assert.equal(second.crm.id, first.crm.id);
    assert.equal(env.emulator.salesforce.leads.size, 1);
    const record = env.emulator.salesforce.leads.get(first.crm.id).fields;
    assert.equal(record.Email, 'dana@northwind.example');
    assert.equal(record.Company, 'Northwind');
    assert.equal(record.LeadSource, 'saleassist');
    assert.deepEqual(
      [...new Set(env.emulator.requests.map((r) => `${r.method} ${r.path}`))],
      ['PATCH /services/data/v68.0/composite/sobjects/Lead/Email'],
      'sObject Collections upsert by the external id, at the current API version',
    );
  });

  it('Salesforce upserting by a field the lead lacks: output 2 says which, rather than creating duplicates', async function () {
    const nodes = await start('salesforce', { out: { externalIdField: 'Email' } });
    const msg = await deliver(nodes, lead(undefined), 'failed');
    assert.match(msg.error.message, /no value for Email/);
    assert.equal(env.emulator.requests.length, 0);
  });

  it('Salesforce without an external id field creates a Lead each time', async function () {
    const nodes = await start('salesforce', { out: { externalIdField: '' } });
    const first = await deliver(nodes, lead('a@b.co'));
    assert.equal(first.crm.action, 'created');
    assert.deepEqual(env.emulator.salesforce.leads.get(first.crm.id).fields.Company, '[not provided]');
  });

  it('Pipedrive: finds or creates the person, then attaches one lead that a repeat updates', async function () {
    const nodes = await start('pipedrive');
    const first = await deliver(nodes, lead('sam@okafor.example'));
    assert.equal(first.crm.action, 'created');
    const second = await deliver(nodes, lead('sam@okafor.example', { fullName: 'Sam Okafor' }));
    assert.equal(second.crm.action, 'updated');
    assert.equal(env.emulator.pipedrive.persons.size, 1);
    assert.equal(env.emulator.pipedrive.leads.size, 1);
    const [person] = env.emulator.pipedrive.persons.values();
    assert.equal(person.name, 'Sam Okafor');
    assert.deepEqual(person.email, [{ value: 'sam@okafor.example', primary: true, label: 'work' }]);
    assert.ok(env.emulator.requests.every((r) => r.query.api_token === TOKEN));
  });

  it('HTTP API: method, URL, token header and the field map the user edited', async function () {
    const nodes = await start('http', {
      out: {
        method: 'POST',
        url: '/api/leads',
        fieldMap: [
          { crmField: 'email', leadField: 'email' },
          { crmField: 'origin', leadField: 'source.provider' },
        ],
      },
      credentials: { headerName: 'X-Api-Key' },
    });
    const msg = await deliver(nodes, lead('x@y.co'));
    assert.equal(msg.crm.action, 'created');
    assert.deepEqual(
      env.emulator.http.records.map(({ id, ...r }) => r),
      [{ email: 'x@y.co', origin: 'saleassist' }],
    );
    assert.equal(env.emulator.requests[0].headers['x-api-key'], TOKEN);
  });

  it('429 with Retry-After: waits as told, then the lead lands exactly once', async function () {
    const nodes = await start('hubspot');
    env.emulator.fault({ status: 429, times: 1, retryAfter: 1 });
    const msg = await deliver(nodes, lead('wait@example.com'));
    assert.equal(msg.crm.attempts, 2);
    assert.equal(env.emulator.hubspot.contacts.size, 1);
    const [a, b] = env.emulator.requests;
    assert.ok(b.at - a.at >= 950, `waited ${b.at - a.at} ms for Retry-After: 1`);
  });

  it('a flaky stretch of 503s and 429s: every lead of a burst lands exactly once, within the concurrency cap', async function () {
    const nodes = await start('hubspot', { account: { maxAttempts: 10, concurrency: 2 } });
    env.emulator.fault({ status: 503, forMs: 400 });
    env.emulator.fault({ status: 429, times: 3, retryAfter: 0 });
    const emails = Array.from({ length: 12 }, (_, i) => `burst${i}@example.com`);
    const got = collect(nodes.sent, emails.length, 15000);
    nodes.failed.on('input', (m) => assert.fail(JSON.stringify(m.error)));
    for (const email of emails) nodes.out.receive({ payload: lead(email) });
    const messages = await got;
    assert.equal(env.emulator.hubspot.contacts.size, emails.length);
    assert.deepEqual(
      [...env.emulator.hubspot.contacts.values()].map((c) => c.properties.email).sort(),
      [...emails].sort(),
    );
    assert.ok(
      messages.some((m) => m.crm.attempts > 1),
      'some leads needed retries',
    );
    assert.ok(env.emulator.maxInFlight <= 2, `at most 2 requests at once, saw ${env.emulator.maxInFlight}`);
  });

  it('a CRM that hangs: the request times out and is retried', async function () {
    const nodes = await start('hubspot', { account: { timeout: 300 } });
    env.emulator.fault({ hang: true, times: 1 });
    const msg = await deliver(nodes, lead('slow@example.com'));
    assert.equal(msg.crm.attempts, 2);
    assert.equal(env.emulator.hubspot.contacts.size, 1);
  });

  it("a refused record goes to output 2 with the CRM's reason, is not retried, and a Catch node sees it", async function () {
    const nodes = await start('hubspot');
    const caught = collect(nodes.caught);
    const msg = await deliver(nodes, lead('rejected@example.com'), 'failed');
    assert.equal(msg.error.status, 207, "HubSpot's multi-status: the call went through, this record was refused");
    assert.match(msg.error.crmMessage, /INVALID_EMAIL/);
    assert.equal(msg.error.attempts, 1);
    assert.equal(msg.payload.email, 'rejected@example.com', 'the lead is kept');
    assert.equal(env.emulator.requests.length, 1);
    assert.match((await caught)[0].error.message, /refused/);
  });

  it('a CRM that keeps failing: output 2 after the last attempt; tokens appear nowhere', async function () {
    const nodes = await start('pipedrive', { account: { maxAttempts: 3 } });
    env.emulator.fault({ status: 503, forMs: 60000, body: { error: `upstream down, token=${TOKEN}` } });
    const caught = collect(nodes.caught);
    const msg = await deliver(nodes, lead('down@example.com'), 'failed');
    assert.equal(msg.error.status, 503);
    assert.equal(msg.error.attempts, 3);
    assert.equal(env.emulator.requests.length, 3);
    assert.ok(!JSON.stringify(msg.error).includes(TOKEN), JSON.stringify(msg.error));
    assert.equal(msg.error.crmMessage, 'upstream down, token=[redacted]');
    assert.equal(msg.error.message, 'the CRM answered 503 after 3 attempts (upstream down, token=[redacted])');
    // Node-RED gives a Catch node the error as a string: `Error: ` and its message.
    assert.equal((await caught)[0].error.message, `Error: ${msg.error.message}`, 'a Catch node sees the same text');
  });

  it('a CRM that echoes the token upper-cased across the length cut: nothing of it reaches output 2 or the log', async function () {
    const nodes = await start('hubspot');
    // The old code cut the reason at 500 characters, then scrubbed it case-sensitively: the first characters leaked.
    env.emulator.fault({
      status: 400,
      times: 1,
      body: { status: 'error', message: `${'x'.repeat(485)} ${TOKEN.toUpperCase()} was refused` },
    });
    const msg = await deliver(nodes, lead('echo@example.com'), 'failed');
    const seen = JSON.stringify({ error: msg.error, logs: helper.log().args }).toLowerCase();
    assert.ok(!seen.includes(TOKEN.slice(0, 5).toLowerCase()), msg.error.crmMessage.slice(-40));
    assert.match(msg.error.crmMessage, /\[redacted\]/);
  });

  it('a message that is not a lead goes to output 2 saying what is wrong', async function () {
    const nodes = await start('hubspot');
    const msg = await deliver(nodes, { email: 'not-an-email', custom: {} }, 'failed');
    assert.match(msg.error.message, /not a lead/);
    assert.match(msg.error.message, /source/);
    assert.equal(env.emulator.requests.length, 0);
  });

  it('an account without a token: red status, and leads go to output 2', async function () {
    const nodes = await start('hubspot', { credentials: { token: '' } });
    const msg = await deliver(nodes, lead('a@b.co'), 'failed');
    assert.match(msg.error.message, /API token/);
  });

  describe("today's CRM APIs, in batches within quotas", function () {
    /** A fresh emulator with these options (quotas, required properties) in place of the default one. */
    const restart = async (options) => {
      await env.emulator.close();
      env.emulator = await startCrmEmulator({ token: TOKEN, ...options });
    };
    /** Sends every payload at once; resolves with what reached each output, by e-mail. */
    const burst = async (nodes, payloads, { sent: expectSent = payloads.length, timeout = 15000 } = {}) => {
      const sent = collect(nodes.sent, expectSent, timeout);
      const failed = [];
      nodes.failed.on('input', (m) => failed.push(m));
      for (const payload of payloads) nodes.out.receive({ payload });
      const delivered = expectSent ? await sent : [];
      await settle(50);
      return { delivered, failed };
    };
    const paths = () => [...new Set(env.emulator.requests.map((r) => `${r.method} ${r.path}`))];

    it('HubSpot: contacts are upserted by e-mail through the 2026-09 batch API, never the legacy /crm/v3 paths', async function () {
      const nodes = await start('hubspot');
      const msg = await deliver(nodes, lead('prakashm@athenabpo.in', { score: 7 }));
      assert.equal(msg.crm.action, 'created');
      assert.deepEqual(paths(), ['POST /crm/objects/2026-09/contacts/batch/upsert']);
      const [input] = env.emulator.requests[0].body.inputs;
      assert.equal(input.id, 'prakashm@athenabpo.in');
      assert.equal(input.idProperty, 'email');
    });

    it('HubSpot: a burst of 300 leads at a quota of 10 calls per second lands exactly once each, in a handful of calls, none answered 429', async function () {
      this.timeout(30000);
      await restart({ quotas: { hubspot: { max: 10, intervalMs: 1000 } } });
      const nodes = await start('hubspot', { account: { maxAttempts: 3 } });
      const emails = Array.from({ length: 300 }, (_, i) => `webinar${i}@example.com`);
      const { delivered, failed } = await burst(
        nodes,
        emails.map((email) => lead(email)),
      );
      assert.equal(failed.length, 0, JSON.stringify(failed[0]?.error));
      assert.equal(delivered.length, 300);
      assert.deepEqual(
        [...env.emulator.hubspot.contacts.values()].map((c) => c.properties.email).sort(),
        [...emails].sort(),
      );
      assert.ok(env.emulator.calls.hubspot <= 5, `${env.emulator.calls.hubspot} calls for 300 leads`);
      assert.equal(env.emulator.throttled.hubspot, 0, 'no call met the quota');
    });

    it("HubSpot: a portal's required property refuses only the lead without it, naming the property", async function () {
      await restart({ hubspotRequired: ['lifecyclestage'] });
      const fieldMap = [
        { crmField: 'email', leadField: 'email' },
        { crmField: 'lifecyclestage', leadField: 'custom.stage' },
      ];
      const nodes = await start('hubspot', { out: { fieldMap } });
      const { delivered, failed } = await burst(
        nodes,
        [lead('staged@example.com', { custom: { stage: 'lead' } }), lead('unstaged@example.com')],
        { sent: 1 },
      );
      assert.deepEqual(
        delivered.map((m) => m.payload.email),
        ['staged@example.com'],
      );
      assert.equal(failed.length, 1);
      assert.equal(failed[0].payload.email, 'unstaged@example.com');
      assert.match(failed[0].error.message, /lifecyclestage/);
      assert.equal(env.emulator.calls.hubspot, 1, 'both leads went in one call');
    });

    it('HubSpot: two leads for one e-mail in a batch become one input (HubSpot refuses a batch naming an id twice); both settle with the contact', async function () {
      const nodes = await start('hubspot');
      const { delivered, failed } = await burst(
        nodes,
        [lead('twice@example.com', { city: 'Pune' }), lead('Twice@Example.com', { city: 'Mumbai' })],
        { sent: 2 },
      );
      assert.deepEqual(failed, []);
      assert.equal(delivered[0].crm.id, delivered[1].crm.id);
      assert.equal(env.emulator.requests[0].body.inputs.length, 1);
      assert.equal([...env.emulator.hubspot.contacts.values()][0].properties.city, 'Mumbai', 'the later lead wins');
    });

    it('a call refused as a whole is halved until the refusal falls on the lead that causes it; the others land', async function () {
      const nodes = await start('hubspot');
      env.emulator.fault({
        status: 400,
        forMs: 60000,
        match: /batch\/upsert/,
        bodyMatch: (body) => JSON.stringify(body).includes('poison@example.com'),
        body: { status: 'error', category: 'VALIDATION_ERROR', message: 'Property values were not valid' },
      });
      const emails = ['a1@example.com', 'a2@example.com', 'poison@example.com', 'a4@example.com'];
      const { delivered, failed } = await burst(
        nodes,
        emails.map((email) => lead(email)),
        { sent: 3 },
      );
      assert.deepEqual(delivered.map((m) => m.payload.email).sort(), [
        'a1@example.com',
        'a2@example.com',
        'a4@example.com',
      ]);
      assert.deepEqual(
        failed.map((m) => [m.payload.email, m.error.status]),
        [['poison@example.com', 400]],
      );
      assert.match(failed[0].error.message, /Property values were not valid/);
    });

    it('Salesforce: a burst goes in one sObject Collections call with allOrNone false; a refused record fails its lead only', async function () {
      const nodes = await start('salesforce', { out: { externalIdField: 'Email' } });
      const { delivered, failed } = await burst(
        nodes,
        [lead('s1@example.com'), lead('rejected@example.com'), lead('s3@example.com')],
        { sent: 2 },
      );
      assert.deepEqual(delivered.map((m) => m.payload.email).sort(), ['s1@example.com', 's3@example.com']);
      assert.equal(failed.length, 1);
      assert.match(failed[0].error.message, /INVALID_EMAIL_ADDRESS/);
      assert.equal(env.emulator.requests.length, 1);
      assert.equal(env.emulator.requests[0].body.allOrNone, false);
      assert.equal(env.emulator.requests[0].body.records.length, 3);
    });

    it('Salesforce: an account may name its API version; one the org does not have is refused as Salesforce does', async function () {
      const nodes = await start('salesforce', { account: { apiVersion: 'v99.0' }, out: { externalIdField: 'Email' } });
      const msg = await deliver(nodes, lead('future@example.com'), 'failed');
      assert.equal(msg.error.status, 404);
      assert.match(env.emulator.requests[0].path, /^\/services\/data\/v99\.0\//);
    });

    it('Pipedrive: persons through API v2 (search by exact e-mail, create, PATCH), leads on their current v1 endpoints', async function () {
      const nodes = await start('pipedrive');
      await deliver(nodes, lead('sam@okafor.example'));
      await deliver(nodes, lead('sam@okafor.example', { fullName: 'Sam Okafor' }));
      assert.deepEqual(
        paths().sort(),
        [
          'GET /api/v1/leads',
          'GET /api/v2/persons/search',
          'PATCH /api/v1/leads/' + [...env.emulator.pipedrive.leads.keys()][0],
          'PATCH /api/v2/persons/' + [...env.emulator.pipedrive.persons.keys()][0],
          'POST /api/v1/leads',
          'POST /api/v2/persons',
        ].sort(),
      );
      const search = env.emulator.requests.find((r) => r.path === '/api/v2/persons/search');
      assert.deepEqual(
        { term: search.query.term, exact_match: search.query.exact_match },
        { term: 'sam@okafor.example', exact_match: 'true' },
      );
      const [person] = env.emulator.pipedrive.persons.values();
      assert.deepEqual(person.emails, [{ value: 'sam@okafor.example', primary: true, label: 'work' }]);
    });

    it('Pipedrive: a burst is paced to the quota the CRM states in its headers instead of meeting 429s', async function () {
      this.timeout(30000);
      await restart({ quotas: { pipedrive: { max: 8, intervalMs: 1000 } } });
      const nodes = await start('pipedrive', { account: { maxAttempts: 2 } });
      const emails = Array.from({ length: 4 }, (_, i) => `paced${i}@example.com`);
      const { delivered, failed } = await burst(
        nodes,
        emails.map((email) => lead(email)),
      );
      assert.equal(failed.length, 0, JSON.stringify(failed[0]?.error));
      assert.equal(delivered.length, 4);
      // Four requests a lead, 16 in all, at 8 a second: the first answer's x-ratelimit-limit tells the node the quota.
      assert.equal(env.emulator.calls.pipedrive, 16);
      assert.equal(env.emulator.throttled.pipedrive, 0, 'no request met the quota');
    });

    it('Zoho CRM: a burst goes in one v8 upsert call; each lead settles from its own record', async function () {
      const nodes = await start('zoho', {
        account: { auth: 'refresh-token', loginUrl: env.emulator.url },
        credentials: {
          clientId: 'emulator-client-id',
          clientSecret: 'emulator-client-secret',
          refreshToken: 'emulator-refresh-token',
        },
      });
      const { delivered, failed } = await burst(
        nodes,
        [lead('z1@example.com'), lead('rejected@example.com'), lead('z3@example.com')],
        { sent: 2 },
      );
      assert.equal(delivered.length, 2);
      assert.match(failed[0].error.message, /INVALID_DATA.*Email/);
      const upserts = env.emulator.requests.filter((r) => r.path === '/crm/v8/Leads/upsert');
      assert.equal(upserts.length, 1);
      assert.equal(upserts[0].body.data.length, 3);
    });

    it('a lead waiting for the quota when its node closes (a deploy) is left unsettled, not failed, for the inbox to emit again', async function () {
      await restart({ quotas: { hubspot: { max: 1, intervalMs: 60_000 } } });
      const nodes = await start('hubspot', { account: { batchWindow: 0 } });
      await deliver(nodes, lead('first@example.com'));
      const failed = [];
      nodes.failed.on('input', (m) => failed.push(m));
      nodes.caught.on('input', (m) => failed.push(m));
      nodes.out.receive({ payload: lead('waiting@example.com') });
      await settle(200);
      await env.running.close();
      env.running = undefined;
      await helper.unload();
      await settle(200);
      assert.deepEqual(failed, []);
      assert.equal(env.emulator.calls.hubspot, 1, 'the waiting lead was never sent');
    });

    it('a daily quota nearly spent turns the status yellow and says so', async function () {
      await restart({ quotas: { hubspot: { daily: 10 } } });
      const nodes = await start('hubspot', { account: { batchWindow: 0 } });
      const statuses = [];
      const status = nodes.out.status.bind(nodes.out);
      nodes.out.status = (s) => {
        statuses.push(s);
        status(s);
      };
      for (let i = 0; i < 10; i++) await deliver(nodes, lead(`daily${i}@example.com`));
      await settle(400);
      const last = statuses.at(-1);
      assert.equal(last.fill, 'yellow');
      assert.match(last.text, /daily quota nearly spent: 0 of 10 left/);
    });
  });
});

describe('sales-webhook in → sales-lead-map → sales-crm out', function () {
  const env = withEmulatorAndRuntime();

  it("a CRM that keeps failing: the settled delivery carries the CRM's last answer, scrubbed of the token and cut", async function () {
    const SECRET = 'hmac-secret-for-crm-answers';
    env.running = await loadFlow(
      [webhookInNode, sourceNode, leadMapNode, accountNode, crmOutNode],
      leadsToCrmFlow({
        emulator: env.emulator,
        secret: SECRET,
        out: { wires: [['sent'], ['failed']] },
        extraNodes: [
          { id: 'sent', type: 'helper', z: 'tab' },
          { id: 'failed', type: 'helper', z: 'tab' },
        ],
      }),
      { src: { secret: SECRET }, acct: { token: TOKEN } },
    );
    helper.getNode('sent').on('input', () => assert.fail('the CRM never took the lead'));
    // HubSpot busy past the account's three attempts, its answer echoing the token as sent and upper-cased, and long.
    const answer = `Service busy; key ${TOKEN} was not processed (${TOKEN.toUpperCase()}). ${'Retry later. '.repeat(60)}`;
    const scrubbed = answer.replace(TOKEN, '[redacted]').replace(TOKEN.toUpperCase(), '[redacted]');
    env.emulator.fault({
      status: 503,
      forMs: 60000,
      match: /contacts/,
      body: { status: 'error', message: answer, category: 'SERVICE_UNAVAILABLE' },
    });
    const failed = collect(helper.getNode('failed'), 1, 8000);
    const delivery = signedLead('busy@example.com', SECRET);
    assert.equal((await postRaw(`${env.running.baseUrl}/webhooks/leads`, delivery)).status, 200);
    const [msg] = await failed;
    assert.equal(env.emulator.requests.length, 3);

    const expected = `the CRM answered 503 after 3 attempts (${scrubbed.slice(0, 500)}…)`;
    assert.equal(msg.error.message, expected);
    const { store } = inboxConsumer('in');
    let record;
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await settle(25)) {
      record = await store.get(msg.webhook.deliveryId);
      if (record?.state === 'failed') break;
    }
    assert.equal(record.state, 'failed');
    assert.deepEqual(
      record.settlements.map((s) => [s.system, s.state, s.attempts, s.reason]),
      [['hubspot', 'failed', 3, expected]],
      "the log shows why the CRM said no, in the refusal's form",
    );
    const seen = JSON.stringify({ record, error: msg.error, logs: helper.log().args }).toLowerCase();
    assert.ok(!seen.includes(TOKEN.toLowerCase()), 'the token appears nowhere');
  });

  const preset = getLeadPreset('saleassist:widget_new_conversation');
  const SYSTEMS = {
    hubspot: {
      out: {},
      creds: {},
      records: () => [...env.emulator.hubspot.contacts.values()].map((c) => c.properties.email),
    },
    salesforce: {
      out: { externalIdField: 'Email' },
      creds: { instanceUrl: true },
      records: () => [...env.emulator.salesforce.leads.values()].map((l) => l.fields.Email),
    },
    pipedrive: {
      out: {},
      creds: {},
      records: () => [...env.emulator.pipedrive.persons.values()].map((p) => p.email[0].value),
    },
    http: {
      out: { url: '/api/leads', method: 'POST' },
      creds: { headerName: 'X-Api-Key' },
      records: () => env.emulator.http.records.map((r) => r.email),
    },
  };

  for (const [system, { out, creds, records }] of Object.entries(SYSTEMS)) {
    it(`${system}: the SaleAssist fixture becomes one record; a repeat updates it; a 429/503 start still lands once`, async function () {
      const credentials = {
        token: TOKEN,
        ...(creds.instanceUrl ? { instanceUrl: env.emulator.url } : {}),
        ...(creds.headerName ? { headerName: creds.headerName } : {}),
      };
      env.running = await loadFlow(
        [webhookInNode, sourceNode, leadMapNode, accountNode, crmOutNode],
        [
          { id: 'src', type: 'sales-webhook-source', provider: 'saleassist' },
          {
            id: 'acct',
            type: 'sales-crm-account',
            system,
            baseUrl: env.emulator.url,
            maxAttempts: 6,
            minDelay: 20,
            maxDelay: 200,
            timeout: 2000,
            concurrency: 2,
          },
          {
            id: 'in',
            type: 'sales-webhook in',
            z: 'f',
            x: 100,
            y: 100,
            url: '/webhooks/saleassist',
            source: 'src',
            wires: [['map'], []],
          },
          {
            id: 'map',
            type: 'sales-lead-map',
            z: 'f',
            x: 300,
            y: 100,
            preset: preset.id,
            mappings: preset.mappings,
            property: 'payload',
            version: 1,
            wires: [['out'], []],
          },
          {
            id: 'out',
            type: 'sales-crm out',
            z: 'f',
            x: 500,
            y: 100,
            account: 'acct',
            fieldMap: [],
            version: 1,
            ...out,
            wires: [['sent'], ['failed']],
          },
          { id: 'sent', type: 'helper', z: 'f', x: 700, y: 100 },
          { id: 'failed', type: 'helper', z: 'f', x: 700, y: 160 },
        ],
        { src: { token: send.SECRETS.token }, acct: credentials },
      );
      helper.getNode('failed').on('input', (m) => assert.fail(JSON.stringify(m.error)));
      const url = `${env.running.baseUrl}/webhooks/saleassist`;
      env.emulator.fault({ status: 429, times: 1, retryAfter: 0 });
      env.emulator.fault({ status: 503, times: 1 });
      const body = send.fixture('saleassist', 'widget_new_conversation');
      let got = collect(helper.getNode('sent'), 1, 8000);
      assert.equal((await postRaw(url, { body, headers: send.tokenHeaders(body) })).status, 200);
      const [first] = await got;
      assert.equal(first.crm.system, system);
      assert.ok(first.crm.attempts >= 2, 'the faults made it retry');
      // The same person converses again: a new delivery, the same lead.
      const again = JSON.parse(body);
      again.payload.id = 'another-conversation';
      const againBody = Buffer.from(JSON.stringify(again));
      got = collect(helper.getNode('sent'), 1, 8000);
      assert.equal((await postRaw(url, { body: againBody, headers: send.tokenHeaders(againBody) })).status, 200);
      const [second] = await got;
      if (system !== 'http') assert.equal(second.crm.action, 'updated');
      const expected =
        system === 'http' ? ['prakashm@athenabpo.in', 'prakashm@athenabpo.in'] : ['prakashm@athenabpo.in'];
      assert.deepEqual(records(), expected);
      await settle(50);
    });
  }
});
