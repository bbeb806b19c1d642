'use strict';
// The fresh-machine rule: a missing system program skips its tests with one line, unless CI is set.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  findSystemTool,
  requireSystemTool,
  requireSystemToolOutsideMocha,
  NODE_22,
} = require('../support/system-tools');

describe('system tools the tests need (Chromium, redis-server)', function () {
  let dir;
  let tool;
  const saved = {
    CI: process.env.CI,
    FAKE_TOOL_PATH: process.env.FAKE_TOOL_PATH,
    CHROME_PATH: process.env.CHROME_PATH,
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'system-tools-'));
    tool = path.join(dir, 'fake-browser');
    fs.writeFileSync(tool, '#!/bin/sh\n', { mode: 0o755 });
    delete process.env.FAKE_TOOL_PATH;
    delete process.env.CI;
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
  const missing = () => ({
    label: 'Fake',
    envVar: 'FAKE_TOOL_PATH',
    candidates: [path.join(dir, 'nope')],
    names: ['no-such-program-4f1c'],
    howToInstall: 'apt-get install fake, then npm test',
  });

  it('finds the first usual path that is an executable file, and prefers the environment variable', function () {
    assert.equal(findSystemTool({ candidates: [path.join(dir, 'nope'), dir, tool] }), tool);
    fs.writeFileSync(path.join(dir, 'not-executable'), '', { mode: 0o644 });
    assert.equal(findSystemTool({ candidates: [path.join(dir, 'not-executable')] }), undefined);
    process.env.FAKE_TOOL_PATH = tool;
    assert.equal(findSystemTool({ envVar: 'FAKE_TOOL_PATH', candidates: [] }), tool);
    process.env.FAKE_TOOL_PATH = path.join(dir, 'nope');
    assert.equal(
      findSystemTool({ envVar: 'FAKE_TOOL_PATH', candidates: [tool] }),
      undefined,
      'a wrong variable is not silently ignored',
    );
  });

  it('finds a program by name on PATH', function () {
    const savedPath = process.env.PATH;
    process.env.PATH = dir;
    try {
      assert.equal(findSystemTool({ names: ['fake-browser'] }), tool);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('skips with one line saying how to install it when missing, and fails when CI is set', function () {
    let skipped = 0;
    const lines = [];
    const log = console.log;
    console.log = (line) => lines.push(line);
    try {
      requireSystemTool(
        {
          skip: () => {
            skipped++;
          },
        },
        missing(),
      );
      requireSystemTool(
        {
          skip: () => {
            skipped++;
          },
        },
        missing(),
      );
    } finally {
      console.log = log;
    }
    assert.equal(skipped, 2);
    assert.equal(lines.length, 1, 'one line, not one per suite');
    assert.match(lines[0], /skipping the Fake tests: .*To run them: apt-get install fake, then npm test/);
    process.env.CI = 'true';
    assert.throws(
      () => requireSystemTool({ skip: () => assert.fail('CI must not skip') }, missing()),
      /CI runs every test: apt-get install fake/,
    );
  });

  it('outside mocha (the Node 22 run of npm test): one line and no path when missing, an error when CI is set', function () {
    const lines = [];
    const log = console.log;
    console.log = (line) => lines.push(line);
    try {
      assert.equal(requireSystemToolOutsideMocha({ ...missing(), label: 'Fake 22' }), undefined);
      assert.equal(requireSystemToolOutsideMocha({ ...missing(), label: 'Fake 22' }), undefined);
    } finally {
      console.log = log;
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0], /skipping the Fake 22 tests/);
    process.env.CI = 'true';
    assert.throws(() => requireSystemToolOutsideMocha(missing()), /CI runs every test/);
    process.env.FAKE_TOOL_PATH = tool;
    assert.equal(requireSystemToolOutsideMocha(missing()), tool);
    assert.match(NODE_22.howToInstall, /node scripts\/node22\.js prepare/);
  });

  it("launchBrowser(this) skips its test and the suite's later ones without Chromium; without a context, fails everywhere", async function () {
    const { launchBrowser } = require('../support/browser');
    await assert.rejects(launchBrowser(), /launchBrowser\(this\)/);
    process.env.CHROME_PATH = path.join(dir, 'nope');
    const ran = { state: 'passed' };
    const later = {};
    // mocha's skip() throws to stop the test; so does this one.
    const context = {
      test: { parent: { tests: [ran, later] } },
      skip: () => {
        throw new Error('skipped');
      },
    };
    const log = console.log;
    console.log = () => {};
    try {
      await assert.rejects(launchBrowser(context), /skipped/);
    } finally {
      console.log = log;
    }
    assert.equal(later.pending, true);
    assert.equal(ran.pending, undefined);
    process.env.CI = 'true';
    await assert.rejects(launchBrowser(context), /CI runs every test/);
  });
});
