'use strict';
// Every example under Import → Examples: listed by the editor, and deployable into a fresh Node-RED with no missing type.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed, waitFor } = require('./support/real-node-red');

const MODULE = 'node-red-contrib-sales-webhooks';
const examplesDir = path.join(__dirname, '..', 'examples');
const examples = fs
  .readdirSync(examplesDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5));

describe('examples', function () {
  this.timeout(60000);
  let nodeRed;
  before(async () => {
    nodeRed = await startNodeRed();
  });
  after(async () => {
    await nodeRed?.remove();
  });

  it('the editor lists every example of the package', async function () {
    const listing = await (await fetch(`${nodeRed.url}/library/examples/flows/${MODULE}`)).json();
    const names = (listing || [])
      .map((entry) => (typeof entry === 'string' ? entry : entry.fn))
      .map((n) => n.replace(/\.json$/, ''));
    assert.deepEqual(names.sort(), [...examples].sort());
    assert.ok(examples.length >= 6);
  });

  for (const name of examples) {
    it(`${name}: imports with no missing node type, has a comment saying what to configure, and carries no secret`, async function () {
      const flow = await (await fetch(`${nodeRed.url}/library/examples/flows/${MODULE}/${name}`)).json();
      assert.ok(
        flow.some((n) => n.type === 'comment' && /configure/i.test(n.name + (n.info || ''))),
        'a comment node with instructions',
      );
      assert.ok(
        flow.every((n) => !n.credentials),
        'no credentials in an example',
      );
      const registered = new Set(
        (await (await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'application/json' } })).json()).flatMap(
          (set) => set.types,
        ),
      );
      const missing = [...new Set(flow.filter((n) => !['tab', 'comment'].includes(n.type)).map((n) => n.type))].filter(
        (t) => !registered.has(t),
      );
      assert.deepEqual(missing, []);
      const logLength = nodeRed.logs().length;
      await nodeRed.deploy(flow);
      const deployed = await (
        await fetch(`${nodeRed.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })
      ).json();
      assert.equal(deployed.filter((n) => flow.some((f) => f.id === n.id)).length, flow.length);
      await waitFor(() => /Started flows/.test(nodeRed.logs().slice(logLength)));
      assert.doesNotMatch(nodeRed.logs().slice(logLength), /Waiting for missing types|\[error\]/);
    });
  }
});

describe('examples, as files', function () {
  const flows = Object.fromEntries(
    examples.map((name) => [name, JSON.parse(fs.readFileSync(path.join(examplesDir, `${name}.json`), 'utf8'))]),
  );

  it('are what scripts/examples.js writes (one description, the demo grid)', async function () {
    assert.deepEqual(await require('../scripts/examples').staleExamples(), []);
  });

  it('use every node that is not a config node (the flow library scorecard asks for an example of each)', function () {
    const editorDir = path.join(__dirname, '..', 'editor');
    const nodeTypes = fs
      .readdirSync(editorDir)
      .map((f) => fs.readFileSync(path.join(editorDir, f), 'utf8'))
      .flatMap((source) => [...source.matchAll(/registerType\('([^']+)', \{\s*category: '([^']+)'/g)])
      .filter(([, , category]) => category !== 'config')
      .map(([, type]) => type);
    assert.ok(nodeTypes.includes('sales-webhook settle'));
    const used = new Set(Object.values(flows).flatMap((flow) => flow.map((n) => n.type)));
    assert.deepEqual(
      nodeTypes.filter((type) => !used.has(type)),
      [],
    );
  });

  it('a lead map naming a preset stores no rows, so it follows the preset (rows would read as copied and edited)', function () {
    const maps = Object.values(flows).flatMap((flow) => flow.filter((n) => n.type === 'sales-lead-map'));
    assert.ok(maps.length >= 7);
    for (const map of maps) {
      assert.match(map.preset, /^\w+:/, map.id);
      assert.deepEqual(map.mappings, [], map.id);
    }
  });

  it("a new sales webhook's default path is one no demo receiver or example uses", function () {
    const { WEBHOOK_IN_DEFAULTS } = require('../dist/receive/webhookInDefaults');
    const { demoFlow } = require('../scripts/demo-flow');
    const paths = [...Object.values(flows).flat(), ...demoFlow({ userDir: os.tmpdir() }).nodes]
      .filter((n) => n.type === 'sales-webhook in')
      .map((n) => n.url);
    assert.ok(paths.length >= 12);
    assert.ok(!paths.includes(WEBHOOK_IN_DEFAULTS.url), WEBHOOK_IN_DEFAULTS.url);
  });
});
