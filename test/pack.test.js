'use strict';
// Palette readiness: the npm pack tarball installs into a fresh user directory the way the palette manager does
// (npm install <tarball> there) and Node-RED loads every node of it with no error.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed, projectRoot } = require('./support/real-node-red');

// A fresh user's npm: without what `npm test` or npx put in the environment about this checkout (its prefix, package).
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^npm_(package_|lifecycle_|config_local_prefix)/.test(key)),
);

/**
 * A copy of the checkout to pack: under npm exec (npx, npm test) npm 11 runs `prepare` even with --ignore-scripts,
 * which rebuilt dist/ while the test files running beside this one loaded it. Built in the copy, it harms nothing.
 */
function checkoutCopy(dir) {
  const copy = path.join(dir, 'checkout');
  const skipped = /^(node_modules|\.git|\.node-red-dev|\.tmp)([/\\]|$)/;
  fs.cpSync(projectRoot, copy, { recursive: true, filter: (src) => !skipped.test(path.relative(projectRoot, src)) });
  fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}
const npm = (args, cwd, env = {}) =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...cleanEnv,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      ...env,
    },
  });

/**
 * better-sqlite3 is a native addon: without a downloadable prebuilt binary (a closed network, CI) its installer
 * compiles SQLite for about a minute. Its installer, prebuild-install, first looks for a "local prebuild": a tarball
 * named as on the project's release page in $npm_config_better_sqlite3_local_prebuilds. We pack the binary this
 * checkout already built into that name, so the fresh install unpacks it instead of compiling. It is the same package
 * version for the same Node ABI, platform and architecture, i.e. what the compile would produce; if npm resolves
 * another version, the name does not match and the install compiles as before (slower, still correct).
 */
function localPrebuildOfBetterSqlite(dir) {
  const moduleDir = path.dirname(require.resolve('better-sqlite3/package.json'));
  const { version } = require('better-sqlite3/package.json');
  const binary = path.join(moduleDir, 'build', 'Release', 'better_sqlite3.node');
  if (!fs.existsSync(binary)) return {};
  const prebuilds = path.join(dir, 'prebuilds');
  fs.mkdirSync(prebuilds, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', path.join(prebuilds, name), '-C', moduleDir, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: prebuilds };
}

describe('npm pack → install into a fresh Node-RED user directory', function () {
  this.timeout(180000);
  let nodeRed;
  let workDir;
  after(async () => {
    await nodeRed?.stop();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('npm pack builds once: prepare (which npm pack runs) and no prepack', function () {
    const { scripts } = require('../package.json');
    assert.equal(scripts.prepare, 'npm run build');
    assert.equal(scripts.prepack, undefined);
  });

  it('installs from the tarball and loads all nodes, icons and help with no error in the log', async function () {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sales-webhooks-pack-'));
    const [packed] = JSON.parse(
      npm(['pack', '--json', '--ignore-scripts', '--pack-destination', workDir], checkoutCopy(workDir)),
    );
    const files = packed.files.map((f) => f.path);
    for (const needed of [
      'dist/nodes/sales-webhook-in.js',
      'dist/index.d.ts',
      'resources/sales-webhooks-editor.js',
      'nodes/locales/en-US/sales-lead-map.html',
      'nodes/sales-webhook-in.html',
      'nodes/icons/sales-webhook.svg',
      'nodes/locales/en-US/sales-webhook-source.html',
      'nodes/locales/en-US/sales-webhook-redis.html',
      'nodes/locales/en-US/sales-webhook-alert.html',
      'examples/alerts.json',
      'examples/saleassist.json',
      'sample-events/saleassist/widget_new_conversation.json',
      'bin/sales-webhooks.js',
    ]) {
      assert.ok(files.includes(needed), `${needed} is in the tarball`);
    }
    assert.ok(
      !files.some((f) => f.startsWith('src/') || f.startsWith('test/support') || f.endsWith('.test.js')),
      'sources and tests stay out',
    );
    const userDir = path.join(workDir, 'userDir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    npm(
      ['install', '--prefer-offline', '--no-save', path.join(workDir, packed.filename)],
      userDir,
      localPrebuildOfBetterSqlite(workDir),
    );
    assert.ok(fs.existsSync(path.join(userDir, 'node_modules', 'node-red-contrib-sales-webhooks', 'dist', 'index.js')));
    // The pure API by name, from the user directory, without Node-RED.
    const api = execFileSync(
      process.execPath,
      [
        '-e',
        "const api = require('node-red-contrib-sales-webhooks'); console.log(typeof api.createVerifier, typeof api.compileMapping, typeof api.upsertLead)",
      ],
      { cwd: userDir, encoding: 'utf8' },
    );
    assert.equal(api.trim(), 'function function function');
    assert.ok(
      fs.existsSync(path.join(userDir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')),
      'better-sqlite3 installed',
    );
    nodeRed = await startNodeRed({ userDir, install: 'none' });
    const sets = (
      await (await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'application/json' } })).json()
    ).filter((s) => s.module === 'node-red-contrib-sales-webhooks');
    assert.deepEqual(sets.flatMap((s) => s.types).sort(), [
      'sales-crm out',
      'sales-crm-account',
      'sales-lead-map',
      'sales-webhook alert',
      'sales-webhook in',
      'sales-webhook settle',
      'sales-webhook-redis',
      'sales-webhook-source',
    ]);
    assert.ok(
      sets.every((s) => s.enabled && !s.err),
      JSON.stringify(sets),
    );
    assert.equal((await fetch(`${nodeRed.url}/icons/node-red-contrib-sales-webhooks/sales-lead.svg`)).status, 200);
    assert.doesNotMatch(nodeRed.logs(), /\[error\]|\[warn\] \[node-red-contrib-sales-webhooks/);
  });
});
