'use strict';
// Every node type has a version and migrates through the same ordered steps; each step is tested on what it changes.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { MIGRATIONS, NODE_TYPES, migrate, currentVersion } = require('../../dist/migrations');
const { migrateLeadMapConfig } = require('../../dist/leadmap');
const pkg = require('../../package.json');

describe('migrations of saved nodes', function () {
  it('cover the five node types the package registers, each with ordered steps', function () {
    const registered = [
      'sales-webhook-source',
      'sales-webhook in',
      'sales-webhook settle',
      'sales-webhook-redis',
      'sales-lead-map',
      'sales-crm-account',
      'sales-crm out',
      'sales-webhook alert',
    ];
    assert.deepEqual([...NODE_TYPES].sort(), registered.sort());
    assert.equal(Object.keys(pkg['node-red'].nodes).length, registered.length);
    for (const type of NODE_TYPES) {
      const versions = MIGRATIONS[type].map((s) => s.version);
      assert.ok(versions.length > 0, type);
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
        `${type}: steps in order`,
      );
      assert.equal(new Set(versions).size, versions.length, `${type}: one step per version`);
      assert.equal(currentVersion(type), versions.at(-1));
    }
  });

  it('sales-lead-map 0 → 1: rows get type, required and default; splitPath, property and preset their defaults', function () {
    const saved = { mappings: [{ field: 'email', path: 'a' }] };
    const migrated = migrate('sales-lead-map', saved);
    assert.deepEqual(migrated, {
      version: 1,
      property: 'payload',
      preset: 'custom',
      splitPath: '',
      mappings: [{ field: 'email', path: 'a', type: 'string', required: false, default: '' }],
    });
    assert.deepEqual(saved, { mappings: [{ field: 'email', path: 'a' }] }, 'the stored object is not changed');
    // A hand-written flow that only names a preset keeps following it: no rows are invented.
    assert.deepEqual(migrate('sales-lead-map', { preset: 'saleassist:widget_new_conversation' }).mappings, []);
    assert.deepEqual(migrateLeadMapConfig(saved), migrated);
  });

  it('sales-crm out 0 → 1: the object field map becomes ordered rows (the dialog broke on it)', function () {
    assert.deepEqual(migrate('sales-crm out', { account: 'a', fieldMap: { Email: 'email', LastName: 'lastName' } }), {
      account: 'a',
      fieldMap: [
        { crmField: 'Email', leadField: 'email' },
        { crmField: 'LastName', leadField: 'lastName' },
      ],
      method: 'POST',
      externalIdField: '',
      url: '',
      version: 1,
    });
    assert.deepEqual(migrate('sales-crm out', { fieldMap: 'nonsense' }).fieldMap, []);
    const rows = [{ crmField: 'email', leadField: 'email' }];
    assert.equal(migrate('sales-crm out', { fieldMap: rows }).fieldMap, rows, 'rows stay as they are');
  });

  for (const type of [
    'sales-webhook-source',
    'sales-webhook in',
    'sales-webhook settle',
    'sales-webhook-redis',
    'sales-crm-account',
  ]) {
    it(`${type} 0 → 1: the version is introduced and nothing else changes`, function () {
      const saved = { id: 'n1', name: 'x', some: { nested: true } };
      const step = MIGRATIONS[type].find((s) => s.version === 1);
      assert.deepEqual(step.up({ ...saved }), saved);
      if (currentVersion(type) === 1) assert.deepEqual(migrate(type, saved), { ...saved, version: 1 });
    });
  }

  it('sales-webhook in 1 → 2: a node saved before the durable inbox gets it on, with the defaults; its own values stay', function () {
    assert.deepEqual(migrate('sales-webhook in', { url: '/x', version: 1 }), {
      url: '/x',
      inbox: true,
      leaseMinutes: 5,
      maxAttempts: 5,
      version: 2,
    });
    assert.deepEqual(migrate('sales-webhook in', { inbox: false, leaseMinutes: '2', version: 1 }), {
      inbox: false,
      leaseMinutes: '2',
      maxAttempts: 5,
      version: 2,
    });
  });

  it('sales-crm-account 1 → 2: an account saved before OAuth signs in with its pasted token (Zoho: its refresh token)', function () {
    const step = MIGRATIONS['sales-crm-account'].find((s) => s.version === 2);
    assert.deepEqual(step.up({ system: 'hubspot', version: 1 }), { system: 'hubspot', auth: 'token', version: 1 });
    assert.deepEqual(step.up({ system: 'zoho' }), { system: 'zoho', auth: 'refresh-token' });
    assert.deepEqual(step.up({ system: 'salesforce', auth: 'jwt', version: 1 }), {
      system: 'salesforce',
      auth: 'jwt',
      version: 1,
    });
  });

  it("sales-crm-account 2 → 3: the old default v60.0 gives way to each CRM's current version; batch window and rate limit get their defaults", function () {
    assert.deepEqual(
      migrate('sales-crm-account', { system: 'salesforce', auth: 'token', apiVersion: 'v60.0', version: 2 }),
      {
        system: 'salesforce',
        auth: 'token',
        apiVersion: '',
        batchWindow: 250,
        rateLimit: 0,
        version: 3,
      },
    );
    assert.equal(
      migrate('sales-crm-account', { system: 'salesforce', apiVersion: 'v62.0', version: 2 }).apiVersion,
      'v62.0',
      'a version the user chose stays',
    );
    assert.equal(migrate('sales-crm-account', { system: 'hubspot', apiVersion: 'v60.0', version: 2 }).apiVersion, '');
    assert.equal(
      migrate('sales-crm-account', { system: 'hubspot', apiVersion: '2026-03', version: 2 }).apiVersion,
      '2026-03',
    );
    assert.equal(migrate('sales-crm-account', { system: 'hubspot', rateLimit: 190, version: 2 }).rateLimit, 190);
    assert.deepEqual(migrate('sales-crm-account', { system: 'zoho' }), {
      system: 'zoho',
      auth: 'refresh-token',
      apiVersion: '',
      batchWindow: 250,
      rateLimit: 0,
      version: 3,
    });
  });

  it('a current configuration comes back as the same object; a newer one is left alone', function () {
    for (const type of NODE_TYPES) {
      const current = { version: currentVersion(type), anything: 1 };
      assert.equal(migrate(type, current), current);
      const newer = { version: currentVersion(type) + 5 };
      assert.equal(migrate(type, newer), newer);
    }
    assert.equal(
      migrate('sales-lead-map', { version: '1', mappings: [] }).version,
      '1',
      'a version stored as text counts',
    );
  });

  it('chains the steps in order, each seeing the result of the one before', function () {
    const log = [];
    const steps = MIGRATIONS['sales-webhook settle'];
    const saved = steps.slice();
    try {
      steps.push({
        version: 2,
        change: 'test',
        up: (c) => {
          log.push(['2', c.version]);
          return { ...c, two: true };
        },
      });
      steps.push({
        version: 3,
        change: 'test',
        up: (c) => {
          log.push(['3', c.version, c.two]);
          return c;
        },
      });
      assert.deepEqual(migrate('sales-webhook settle', {}), { two: true, version: 3 });
      assert.deepEqual(log, [
        ['2', 1],
        ['3', 2, true],
      ]);
      log.length = 0;
      migrate('sales-webhook settle', { version: 2 });
      assert.deepEqual(log, [['3', 2, undefined]]);
    } finally {
      steps.splice(0, steps.length, ...saved);
    }
  });

  it('the editor runs the same steps: resources/sales-webhooks-editor.js needs nothing but a window', function () {
    const code = fs.readFileSync(path.join(__dirname, '..', '..', 'resources', 'sales-webhooks-editor.js'), 'utf8');
    const window = {};
    vm.runInNewContext(code, { window });
    const editor = window.SalesWebhooksEditor;
    // Objects from another realm: compare their JSON.
    assert.deepEqual(
      JSON.parse(JSON.stringify(editor.migrate('sales-crm out', { fieldMap: { Email: 'email' } }))),
      migrate('sales-crm out', { fieldMap: { Email: 'email' } }),
    );
    for (const type of NODE_TYPES) assert.equal(editor.currentVersion(type), currentVersion(type));
  });
});
