'use strict';
// sales-crm out against loopback emulators of HubSpot, Salesforce, Pipedrive and an HTTP API, over real HTTP.
const assert = require('node:assert/strict');
const { helper, loadFlow, postRaw, collect, settle } = require('./support/flow');
const { startCrmEmulator } = require('./support/crm-emulator');
const send = require('./support/senders');
const { leadsToCrmFlow, signedLead } = require('./support/leads-load');
const { inboxConsumer } = require('../dist/delivery/registry');
const { getLeadPreset } = require('../dist/providers/registry');
const { parseRetryAfter, backoffDelay, accountSettings, buildFields, CrmConfigError } = require('../dist/crm');
const { migrate } = require('../dist/migrations');
const sourceNode = require('../nodes/sales-webhook-source.js');
const webhookInNode = require('../nodes/sales-webhook-in.js');
const leadMapNode = require('../nodes/sales-lead-map.js');
const accountNode = require('../nodes/sales-crm-account.js');
const crmOutNode = require('../nodes/sales-crm-out.js');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

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
      apiVersion: 'v60.0',
      maxAttempts: 5,
      minDelayMs: 500,
      maxDelayMs: 30000,
      timeoutMs: 10000,
      concurrency: 4,
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
    assert.ok(env.emulator.requests.every((r) => r.path.startsWith('/services/data/v60.0/sobjects/Lead')));
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

  it("a 400 goes to output 2 with the CRM's reason, is not retried, and a Catch node sees it", async function () {
    const nodes = await start('hubspot');
    const caught = collect(nodes.caught);
    const msg = await deliver(nodes, lead('rejected@example.com'), 'failed');
    assert.equal(msg.error.status, 400);
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
