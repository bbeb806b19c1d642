'use strict';
// The README's reference must not drift from the code: every provider, event, preset and node is mentioned.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describeProviders, listLeadPresets } = require('../../dist/providers/registry');
const pkg = require('../../package.json');

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README', function () {
  it('names every provider, every documented event and every preset', function () {
    for (const provider of describeProviders()) {
      assert.ok(readme.includes(`\`${provider.id}\``), provider.id);
      for (const event of provider.events)
        assert.ok(readme.includes(`\`${event.type}\``), `${provider.id} ${event.type}`);
    }
    for (const preset of listLeadPresets()) assert.ok(readme.includes(preset.eventType), preset.id);
  });

  it("gives each CRM's API version, batch size and pace, as its module says", function () {
    const { describeCrmSystems } = require('../../dist/crm');
    for (const system of describeCrmSystems()) {
      const section = readme.slice(readme.indexOf('### API versions, batches and quotas'));
      const row = section.split('\n').find((line) => line.startsWith(`| ${system.label} `));
      assert.ok(row, system.label);
      const cells = row.split('|').map((cell) => cell.trim());
      if (system.defaultApiVersion) assert.ok(cells[2].includes(system.defaultApiVersion), `${system.label} version`);
      assert.match(cells[3], new RegExp(`^${system.batchSize}\\b`), `${system.label} batch size`);
      if (system.quota.requests)
        assert.ok(
          cells[4].includes(`${system.quota.requests} requests per ${system.quota.intervalMs / 1000} s`),
          `${system.label} pace`,
        );
    }
  });

  it('describes every node and shows the test command and the screenshot', function () {
    for (const node of [
      'sales-webhook in',
      'sales-webhook-source',
      'sales-lead-map',
      'sales-crm out',
      'sales-crm-account',
      'sales-webhook settle',
    ])
      assert.ok(readme.includes(node), node);
    assert.match(readme, /```sh\nnpm test\n```/);
    assert.equal(pkg.scripts.test, 'npm run build && node scripts/test.js');
    assert.ok(fs.existsSync(path.join(__dirname, '..', '..', 'docs', 'demo-flow.png')));
  });
});
