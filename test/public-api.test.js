'use strict';
// The package used outside Node-RED, required by its name: verify a signed delivery, map it to a lead, upsert the
// lead into a CRM (the loopback HubSpot emulator, over real HTTP). Nothing here loads Node-RED.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const send = require('./support/senders');
const { startCrmEmulator } = require('./support/crm-emulator');
const api = require('node-red-contrib-sales-webhooks');

describe('the pure API: require("node-red-contrib-sales-webhooks")', function () {
  let emulator;
  after(() => emulator?.close());

  it('resolves to dist/index.js with its type declarations', function () {
    assert.equal(require.resolve('node-red-contrib-sales-webhooks'), path.join(__dirname, '..', 'dist', 'index.js'));
    const types = fs.readFileSync(path.join(__dirname, '..', 'dist', 'index.d.ts'), 'utf8');
    for (const name of ['createVerifier', 'compileMapping', 'mapEvent', 'upsertLead', 'CrmHttp'])
      assert.match(types, new RegExp(`\\b${name}\\b`), name);
    // In a process of its own (the suite loads Node-RED elsewhere): requiring the API loads no Node-RED module.
    const loaded = execFileSync(
      process.execPath,
      ['-e', "require('node-red-contrib-sales-webhooks'); console.log(JSON.stringify(Object.keys(require.cache)))"],
      { cwd: path.join(__dirname, '..'), encoding: 'utf8' },
    );
    assert.deepEqual(
      JSON.parse(loaded).filter((file) => /[/\\](node-red|@node-red)[/\\]/.test(file)),
      [],
    );
  });

  it('verifies a SalesMagic (Svix) delivery and maps its call to one lead per prospect', function () {
    const body = send.fixture('salesmagic', 'call.completed');
    const headers = send.svixHeaders(body);
    const verifier = api.createVerifier(
      api.buildVerifierOptions(
        api.getProvider('salesmagic'),
        { provider: 'salesmagic' },
        { secret: send.SECRETS.svix },
      ),
    );
    verifier({ rawBody: body, headers });
    assert.throws(
      () => verifier({ rawBody: Buffer.from(body.toString().replace('Dana', 'Dina')), headers }),
      api.WebhookVerificationError,
    );
    const preset = api.getLeadPreset('salesmagic:call.completed');
    const { leads, failures } = api.mapEvent(
      api.compileMapping(preset.mappings, { split: true, splitPath: preset.splitPath }),
      JSON.parse(body),
      { provider: 'salesmagic' },
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(
      leads.map((l) => l.fullName),
      ['Dana Whitfield', 'Sam Okafor'],
    );
  });

  it('verifies a SaleAssist delivery, maps it and upserts the lead into HubSpot', async function () {
    const body = send.fixture('saleassist', 'widget_new_conversation');
    const verifier = api.createVerifier(
      api.buildVerifierOptions(
        api.getProvider('saleassist'),
        { provider: 'saleassist' },
        { token: send.SECRETS.token },
      ),
    );
    verifier({ rawBody: body, headers: send.tokenHeaders(body) });
    const preset = api.getLeadPreset('saleassist:widget_new_conversation');
    const {
      leads: [lead],
    } = api.mapEvent(api.compileMapping(preset.mappings), JSON.parse(body), { provider: 'saleassist' });
    assert.equal(lead.email, 'prakashm@athenabpo.in');

    emulator = await startCrmEmulator({ token: 'api-test-token' });
    const settings = api.accountSettings(
      { system: 'hubspot', baseUrl: emulator.url, maxAttempts: 1 },
      { token: 'api-test-token' },
    );
    const http = new api.CrmHttp(settings, { token: 'api-test-token' });
    try {
      const result = await api.upsertLead(http, settings, lead, { fieldMap: api.DEFAULT_FIELD_MAPS.hubspot });
      assert.equal(emulator.requests[0].headers.authorization, 'Bearer api-test-token');
      const contact = emulator.hubspot.contacts.get(result.id);
      assert.ok(contact, JSON.stringify(result));
      assert.match(JSON.stringify(contact), /prakashm@athenabpo\.in/);
    } finally {
      await http.close();
    }
  });
});
