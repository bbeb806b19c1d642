'use strict';
// The demo flow and every example as a newcomer sees them: deployed into a real Node-RED and shown in its editor in
// Chromium at 1366×768 with the sidebar open, the flow fits the canvas, no two nodes (or their status texts) overlap
// and every wire runs left to right. Screenshots land in .tmp/screenshots/ for a person to look at.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed, projectRoot, nodeRedVersion } = require('./support/real-node-red');
const { launchBrowser, requireBrowser } = require('./support/browser');
const { demoFlow } = require('../scripts/demo-flow');

// scripts/node22.js points its run (in a copy of the checkout) at the checkout's folder too.
const screenshots = process.env.SALES_WEBHOOKS_SCREENSHOTS || path.join(projectRoot, '.tmp', 'screenshots');
const examples = fs
  .readdirSync(path.join(projectRoot, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f.slice(0, -5), JSON.parse(fs.readFileSync(path.join(projectRoot, 'examples', f), 'utf8'))]);

const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** Boxes (in page pixels) of the shown tab's nodes and visible status texts, and of the visible canvas. */
function measure(page) {
  return page.evaluate(() => {
    const box = (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    };
    const chart = document.getElementById('red-ui-workspace-chart');
    const canvas = box(chart);
    // The scroll bars cover the canvas's edges.
    canvas.right = canvas.left + chart.clientWidth;
    canvas.bottom = canvas.top + chart.clientHeight;
    const nodes = [];
    const statuses = [];
    for (const group of chart.querySelectorAll('g.red-ui-flow-node-group')) {
      const d = group.__data__;
      const rect = group.querySelector('rect.red-ui-flow-node');
      if (!d || !rect) continue;
      const label = d.name || d.id;
      // A node's box includes its button (a debug node's toggle, an inject's trigger), which sticks out of it.
      const button = group.querySelector('.red-ui-flow-node-button');
      const own = box(rect);
      if (button && getComputedStyle(button).display !== 'none') {
        const b = box(button);
        Object.assign(own, {
          left: Math.min(own.left, b.left),
          top: Math.min(own.top, b.top),
          right: Math.max(own.right, b.right),
          bottom: Math.max(own.bottom, b.bottom),
        });
      }
      nodes.push({ id: d.id, label, ...own });
      const status = group.querySelector('.red-ui-flow-node-status-group');
      if (status && getComputedStyle(status).display !== 'none' && status.getBBox().width > 0)
        statuses.push({ id: d.id, label: `${label} status`, text: status.textContent, ...box(status) });
    }
    return { canvas, nodes, statuses };
  });
}

describe(`the demo flow and the examples in the editor at 1366×768 (Node-RED ${nodeRedVersion})`, function () {
  this.timeout(120000);
  let nodeRed;
  let browser;
  before(async function () {
    requireBrowser(this);
    nodeRed = await startNodeRed({
      settings: 'module.exports = { editorTheme: { tours: false }, telemetry: { enabled: false } };',
    });
    browser = await launchBrowser(this);
    await browser.page.setViewportSize({ width: 1366, height: 768 });
    fs.mkdirSync(screenshots, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await nodeRed?.remove();
  });

  it('a sales webhook added from the palette takes a path no other one uses', async function () {
    const { page } = browser;
    await page.goto('about:blank');
    await page.goto(nodeRed.url);
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType('sales-webhook in'), null, {
      timeout: 30000,
    });
    const paths = await page.evaluate(() => {
      const definition = RED.nodes.getType('sales-webhook in');
      // What the palette does: a node with the type's defaults, then its onadd.
      const add = () => {
        const node = {
          id: RED.nodes.id(),
          type: 'sales-webhook in',
          z: RED.workspaces.active(),
          _def: definition,
          url: definition.defaults.url.value,
          x: 0,
          y: 0,
          wires: [[], []],
        };
        definition.onadd.call(node);
        RED.nodes.add(node);
        return node.url;
      };
      return [add(), add(), add()];
    });
    const { WEBHOOK_IN_DEFAULTS } = require('../dist/receive/webhookInDefaults');
    assert.deepEqual(paths, [WEBHOOK_IN_DEFAULTS.url, `${WEBHOOK_IN_DEFAULTS.url}-2`, `${WEBHOOK_IN_DEFAULTS.url}-3`]);
  });

  const flows = [
    ['demo', () => demoFlow({ userDir: fs.mkdtempSync(path.join(os.tmpdir(), 'sales-webhooks-layout-')) }).nodes],
    ...examples.map(([name, flow]) => [`example ${name}`, () => flow]),
  ];
  for (const [name, makeFlow] of flows) {
    it(`${name}: fits the canvas beside the sidebar, nodes and statuses apart, wires left to right`, async function () {
      const flow = makeFlow();
      await nodeRed.deploy(flow);
      // A test event through each receiver that can verify one, so that the statuses show counts as in use.
      for (const receiver of flow.filter((n) => n.type === 'sales-webhook in')) {
        const source = flow.find((n) => n.id === receiver.source);
        if (source?.credentials)
          await fetch(`${nodeRed.url}/sales-webhook-in/${receiver.id}/send-test`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          });
      }
      const { page } = browser;
      const tab = flow.find((n) => n.type === 'tab').id;
      await page.goto('about:blank');
      await page.goto(`${nodeRed.url}/#flow/${tab}`);
      const onTab = flow.filter((n) => n.z === tab);
      await page.waitForFunction(
        (count) => document.querySelectorAll('#red-ui-workspace-chart g.red-ui-flow-node-group').length === count,
        onTab.length,
        { timeout: 30000 },
      );
      // Statuses arrive over the editor's websocket after the nodes are drawn.
      await page.waitForTimeout(1500);
      await page.screenshot({ path: path.join(screenshots, `${name.replace(/\W+/g, '-')}-nr${nodeRedVersion}.png`) });
      const { canvas, nodes, statuses } = await measure(page);
      assert.equal(nodes.length, onTab.length);

      const outside = [...nodes, ...statuses].filter(
        (b) => b.left < canvas.left || b.top < canvas.top || b.right > canvas.right || b.bottom > canvas.bottom,
      );
      assert.deepEqual(
        outside.map((b) => b.label),
        [],
        `inside the canvas ${JSON.stringify(canvas)}: ${JSON.stringify(outside)}`,
      );
      const boxes = [...nodes, ...statuses];
      const overlapping = [];
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++)
          if (overlap(boxes[i], boxes[j])) overlapping.push(`${boxes[i].label} / ${boxes[j].label}`);
      assert.deepEqual(overlapping, []);

      const byId = new Map(nodes.map((n) => [n.id, n]));
      const backwards = onTab.flatMap((n) =>
        (n.wires || [])
          .flat()
          .filter((target) => byId.has(target) && byId.get(target).left <= byId.get(n.id).right)
          .map((target) => `${n.id} → ${target}`),
      );
      assert.deepEqual(backwards, [], 'every wire leaves a node to the right and enters the next one on its left');
    });
  }
});
