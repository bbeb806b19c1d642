'use strict';
// Every script and the sales-webhooks command answer --help with their usage, and a wrong option without a stack trace.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const run = (file, args) =>
  new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd: root, timeout: 15000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
const scripts = ['bench', 'scripts', 'bin'].flatMap((dir) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(dir, f)),
);

describe('--help for every command', function () {
  it('finds the scripts', function () {
    for (const expected of [
      'bench/run.js',
      'bench/dedupe-memory.js',
      'scripts/start.js',
      'scripts/build.js',
      'bin/sales-webhooks.js',
    ])
      assert.ok(scripts.includes(expected), expected);
  });

  for (const script of scripts) {
    it(`node ${script} --help prints its usage`, async function () {
      const result = await run(script, ['--help']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Usage|module/);
      assert.doesNotMatch(result.stdout + result.stderr, /^\s+at /m, 'no stack trace');
    });
  }

  it('a wrong option to the benchmark is a one-line error and the usage, not a stack trace', async function () {
    const result = await run('bench/run.js', ['--rounsd', '3']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown option '--rounsd'/);
    assert.match(result.stderr, /Usage: npm run bench/);
    assert.doesNotMatch(result.stderr, /^\s+at /m);
  });

  it('sales-webhooks -h and an unknown option', async function () {
    assert.match((await run('bin/sales-webhooks.js', ['-h'])).stdout, /Usage: sales-webhooks send <provider>/);
    const wrong = await run('bin/sales-webhooks.js', ['send', '--nope']);
    assert.equal(wrong.code, 2);
    assert.doesNotMatch(wrong.stderr, /^\s+at /m);
  });
});
