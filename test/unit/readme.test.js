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
