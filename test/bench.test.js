'use strict';
// Keeps `npm run bench` working: a small run through every flow. It asserts that the script completes with zero
// errors and writes its figures; it asserts nothing about speed (that is for the benchmark itself).
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

describe('bench smoke run', function () {
  this.timeout(120000);
  it('drives echo, hand-built and ours with zero errors and reports the ratios', async function () {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sales-webhooks-bench-')), 'result.json');
    const { code, stderr } = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [
          path.join(__dirname, '..', 'bench', 'run.js'),
          '--rounds',
          '1',
          '--requests',
          '300',
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
    assert.deepEqual(Object.keys(report.flows).sort(), ['echo', 'hand', 'ours', 'oursNoInbox', 'oursSvix']);
    for (const [name, flow] of Object.entries(report.flows)) {
      assert.equal(flow.errors, 0, name);
      assert.equal(flow.non2xx, 0, name);
      assert.ok(flow.requestsPerSecond > 0 && flow.peakRssMiB > 0, name);
    }
    for (const ratio of ['oursOverEcho', 'oursOverHandBuilt', 'p99OursOverEcho', 'cpuEfficiencyOursNoInboxOverEcho'])
      assert.equal(typeof report.ratios[ratio], 'number');
    // The inbox's counters reached the bench: every delivery was committed, several per fsync under load or not.
    assert.ok(
      report.flows.ours.inbox.fsyncsPerSecond > 0 && report.flows.ours.inbox.deliveriesPerFsync > 0,
      JSON.stringify(report.flows.ours.inbox),
    );
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });
});
