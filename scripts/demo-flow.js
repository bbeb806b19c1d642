'use strict';
// The demo flow `npm start` deploys: one sales-webhook in per platform, its lead-map preset, a JSON-lines lead store.
const path = require('node:path');

// [provider, the event that becomes a lead, the platform's name, a short name for the event (the switch's label)]
const PLATFORMS = [
  ['saleassist', 'widget_new_conversation', 'SaleAssist', 'new conversation'],
  ['salesmagic', 'call.completed', 'SalesMagic (Svix)', 'call completed'],
  ['callcall', 'customer.qualified', 'CallCall.ai', 'qualified'],
  ['salescaling', 'commercial_signal_detected', 'Salescaling', 'signal detected'],
  ['recorder', 'recording.transcript.ready', 'Meeting recorder', 'transcript ready'],
];

// Node centres of the columns and rows, so that the flow fits a 1366x768 screen beside the editor's palette and
// sidebar (test/flow-layout.test.js): receiver, event switch, lead map, outputs; a row per platform below a comment.
const LAYOUT = { comment: { x: 320, y: 40 }, columns: [125, 345, 525, 705], firstRow: 100, rowHeight: 70 };
const [IN_X, ROUTE_X, MAP_X, OUT_X] = LAYOUT.columns;
const rowY = (i) => LAYOUT.firstRow + i * LAYOUT.rowHeight;

/**
 * A platform's receiving node and the switch that sends its documented event on and every other event to `other`:
 * the demo and the examples (scripts/examples.js) lay them out alike. Ids are `<prefix>-in<suffix>`,
 * `<prefix>-route<suffix>`.
 */
function receiverAndRoute({
  prefix,
  suffix = '',
  tab,
  provider,
  source,
  name = '',
  at: [inX, routeX, y],
  next,
  other,
  rejected,
}) {
  const [, eventType, , eventLabel] = PLATFORMS.find(([p]) => p === provider);
  return [
    {
      id: `${prefix}-in${suffix}`,
      type: 'sales-webhook in',
      z: tab,
      x: inX,
      y,
      name,
      url: `/webhooks/${provider}`,
      source,
      maxBytes: 1048576,
      dedupe: true,
      dedupeHours: 24,
      dedupeLimit: 50000,
      dedupeStore: '',
      version: 1,
      wires: [[`${prefix}-route${suffix}`], rejected ? [rejected] : []],
    },
    {
      id: `${prefix}-route${suffix}`,
      type: 'switch',
      z: tab,
      x: routeX,
      y,
      name: eventLabel,
      property: 'topic',
      propertyType: 'msg',
      rules: [{ t: 'eq', v: eventType, vt: 'str' }, { t: 'else' }],
      checkall: 'true',
      repair: false,
      outputs: 2,
      wires: [[next], [other]],
    },
  ];
}

/** The flow, with each source's secret from its environment variable or the documented development default. */
function demoFlow({ userDir, env = process.env }) {
  const { DEMO_SECRETS } = require('../dist/send/demoSecrets.js');
  const { getLeadPreset } = require('../dist/providers/registry.js');
  const tab = 'demo-tab';
  const leadsFile = path.join(userDir, 'leads.jsonl');
  const nodes = [
    {
      id: tab,
      type: 'tab',
      label: 'Sales webhooks demo',
      info: 'Deployed by npm start. Send a test event with `npx sales-webhooks send saleassist`, then look at the debug sidebar and at leads.jsonl in the .node-red-dev folder.',
    },
    {
      id: 'demo-about',
      type: 'comment',
      z: tab,
      ...LAYOUT.comment,
      name: 'Each platform posts to /webhooks/<provider>; try: npx sales-webhooks send saleassist',
      info: 'Secrets come from SALESCALING_TOKEN, SALESMAGIC_SECRET, RECORDER_SECRET, SALEASSIST_TOKEN and CALLCALL_SECRET (development defaults otherwise). Leads are appended to .node-red-dev/leads.jsonl.',
      wires: [],
    },
    {
      id: 'demo-store',
      type: 'file',
      z: tab,
      x: OUT_X,
      y: rowY(0),
      name: 'leads.jsonl',
      filename: leadsFile,
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'utf8',
      wires: [[]],
    },
    {
      id: 'demo-leads',
      type: 'debug',
      z: tab,
      x: OUT_X,
      y: rowY(1),
      name: 'leads',
      active: true,
      tosidebar: true,
      console: false,
      complete: 'payload',
      targetType: 'msg',
      statusVal: '',
      statusType: 'auto',
      wires: [],
    },
    {
      id: 'demo-other',
      type: 'debug',
      z: tab,
      x: OUT_X,
      y: rowY(3),
      name: 'other events',
      active: true,
      tosidebar: true,
      console: false,
      complete: 'true',
      targetType: 'full',
      statusVal: '',
      statusType: 'auto',
      wires: [],
    },
    {
      id: 'demo-rejected',
      type: 'debug',
      z: tab,
      x: OUT_X,
      y: rowY(2),
      name: 'not a lead',
      active: true,
      tosidebar: true,
      console: false,
      complete: 'true',
      targetType: 'full',
      statusVal: '',
      statusType: 'auto',
      wires: [],
    },
  ];
  PLATFORMS.forEach(([provider, eventType, label], i) => {
    const y = rowY(i);
    const preset = getLeadPreset(`${provider}:${eventType}`);
    const secret = DEMO_SECRETS[provider];
    nodes.push(
      {
        id: `demo-src-${provider}`,
        type: 'sales-webhook-source',
        name: `${label} (demo)`,
        provider,
        tolerance: 300,
        credentials: { [secret.credential]: env[secret.env] || secret.value },
      },
      // Rejections (401, 400, …) show in the node's status and in the delivery log, which says why: no wire
      // crosses the flow for them.
      ...receiverAndRoute({
        prefix: 'demo',
        suffix: `-${provider}`,
        tab,
        provider,
        source: `demo-src-${provider}`,
        at: [IN_X, ROUTE_X, y],
        next: `demo-map-${provider}`,
        other: 'demo-other',
      }),
      // No rows of its own: the lead map follows its preset, so a package update's improvements reach the demo.
      {
        id: `demo-map-${provider}`,
        type: 'sales-lead-map',
        z: tab,
        x: MAP_X,
        y,
        name: 'map to lead',
        preset: preset.id,
        mappings: [],
        property: 'payload',
        split: false,
        splitPath: '',
        version: 1,
        wires: [['demo-store', 'demo-leads'], ['demo-rejected']],
      },
    );
  });
  return { nodes, leadsFile };
}

module.exports = { demoFlow, receiverAndRoute, PLATFORMS, LAYOUT };

if (require.main === module) {
  require('./usage').helpRequested(`Usage: node scripts/demo-flow.js [userDir]     (after npm run build)

Prints the demo flow that npm start deploys, as flow JSON (secrets from the environment or the development defaults).
npm start uses it as a module.`);
  console.log(
    JSON.stringify(
      demoFlow({ userDir: process.argv[2] || path.join(__dirname, '..', '.node-red-dev') }).nodes,
      null,
      2,
    ),
  );
}
