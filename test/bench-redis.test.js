'use strict';
// Keeps `npm run bench -- --redis` working: a small run of the three modes. It asserts that the script completes with
// zero errors and reports its figures; it asserts nothing about speed (that is for the benchmark itself).
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { requireRedisServer } = require('./support/redis-server');

describe('bench smoke run, Redis mode', function () {
  this.timeout(180000);
  before(function () {
    requireRedisServer(this);
  });

  it('drives SQLite, one and two instances on Redis with zero errors and reports the memory per delivery', async function () {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sales-webhooks-bench-redis-')), 'result.json');
    const { code, stderr } = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [
          path.join(__dirname, '..', 'bench', 'run.js'),
          '--redis',
          '--rounds',
          '1',
          '--requests',
          '200',
          '--connections',
          '4',
          '--out',
          out,
        ],
        (error, _stdout, stderr) => resolve({ code: error ? error.code : 0, stderr }),
      );
    });
    assert.equal(code, 0, stderr);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.deepEqual(Object.keys(report.modes).sort(), ['redis1', 'redis2', 'sqlite']);
    for (const [name, mode] of Object.entries(report.modes)) {
      assert.equal(mode.errors, 0, name);
      assert.equal(mode.non2xx, 0, name);
      assert.ok(mode.requestsPerSecond > 0 && mode.nodeRedCpuMicrosPerRequest > 0, name);
    }
    assert.ok(
      report.redisMemory.deliveriesHeld >= 400 && report.redisMemory.bytesPerDelivery > 0,
      JSON.stringify(report.redisMemory),
    );
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });
});
