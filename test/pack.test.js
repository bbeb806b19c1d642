'use strict';
// Palette readiness: the npm pack tarball installs into a fresh user directory the way the palette manager does
// (npm install <tarball> there) and Node-RED loads every node of it with no error.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed, projectRoot } = require('./support/real-node-red');

const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

describe('npm pack → install into a fresh Node-RED user directory', function () {
  this.timeout(180000);
  let nodeRed;
  let workDir;
  after(async () => {
    await nodeRed?.stop();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('installs from the tarball and loads all nodes, icons and help with no error in the log', async function () {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sales-webhooks-pack-'));
    const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', workDir], projectRoot));
    const files = packed.files.map((f) => f.path);
    for (const needed of ['dist/nodes/sales-webhook-in.js', 'nodes/sales-webhook-in.html', 'nodes/icons/sales-webhook.svg', 'nodes/locales/en-US/sales-webhook-source.html', 'nodes/locales/en-US/sales-webhook-redis.html', 'examples/saleassist.json', 'test/fixtures/saleassist/widget_new_conversation.json', 'bin/sales-webhooks.js']) {
      assert.ok(files.includes(needed), `${needed} is in the tarball`);
    }
    assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/support') || f.endsWith('.test.js')), 'sources and tests stay out');
    const userDir = path.join(workDir, 'userDir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    npm(['install', '--prefer-offline', '--no-save', path.join(workDir, packed.filename)], userDir);
    assert.ok(fs.existsSync(path.join(userDir, 'node_modules', 'node-red-contrib-sales-webhooks', 'dist', 'index.js')));
    nodeRed = await startNodeRed({ userDir, install: 'none' });
    const sets = (await (await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'application/json' } })).json()).filter((s) => s.module === 'node-red-contrib-sales-webhooks');
    assert.deepEqual(sets.flatMap((s) => s.types).sort(), ['sales-crm out', 'sales-crm-account', 'sales-lead-map', 'sales-webhook in', 'sales-webhook settle', 'sales-webhook-redis', 'sales-webhook-source']);
    assert.ok(sets.every((s) => s.enabled && !s.err), JSON.stringify(sets));
    assert.equal((await fetch(`${nodeRed.url}/icons/node-red-contrib-sales-webhooks/sales-lead.svg`)).status, 200);
    assert.doesNotMatch(nodeRed.logs(), /\[error\]|\[warn\] \[node-red-contrib-sales-webhooks/);
  });
});
