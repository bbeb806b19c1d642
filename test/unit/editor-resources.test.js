'use strict';
// Node-RED loads a node file's <script src> tags in parallel and runs each as it arrives: a dialog's script must
// register its node type whether it runs before or after resources/sales-webhooks-editor.js.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const resources = path.join(__dirname, '..', '..', 'resources');
const shared = fs.readFileSync(path.join(resources, 'sales-webhooks-editor.js'), 'utf8');
const dialogs = fs
  .readdirSync(resources)
  .filter((f) => f.endsWith('.js') && f !== 'sales-webhooks-editor.js')
  .map((f) => ({ file: f, source: fs.readFileSync(path.join(resources, f), 'utf8') }))
  // The ones that use the shared script (a node file loads the two together).
  .filter((d) => d.source.includes('SalesWebhooksEditor.'));

/** Runs the scripts in this order in a page-like global (window is the global) and returns the types registered. */
function load(order) {
  const registered = [];
  // RED.validators.<any>() gives a validator, as Node-RED's do.
  const validators = new Proxy({}, { get: () => () => () => true });
  const page = {
    RED: {
      nodes: { registerType: (type) => registered.push(type) },
      plugins: { registerPlugin: (type) => registered.push(type) },
      validators,
    },
    $: () => ({}),
  };
  page.window = page;
  const context = vm.createContext(page);
  for (const { file, source } of order) vm.runInContext(source, context, { filename: file });
  return registered.sort();
}

describe('the dialog scripts served from resources/', function () {
  it('register every node type whichever of a node file scripts runs first', function () {
    const sharedScript = { file: 'sales-webhooks-editor.js', source: shared };
    const afterShared = load([sharedScript, ...dialogs]);
    assert.ok(afterShared.includes('sales-crm out') && afterShared.includes('sales-crm-account'), afterShared.join());
    assert.deepEqual(load([...dialogs, sharedScript]), afterShared);
    // Each HTML file loads the shared script again: nothing registers twice.
    assert.deepEqual(load([sharedScript, dialogs[0], sharedScript, ...dialogs.slice(1), sharedScript]), afterShared);
  });
});
