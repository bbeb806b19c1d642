'use strict';
// Every example under Import → Examples: listed by the editor, and deployable into a fresh Node-RED with no missing type.
const assert = require('node:assert/strict');
const fs = require('node:fs');
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
