#!/usr/bin/env node
'use strict';
// Writes examples/*.json (Import → Examples in the editor) from one description, laid out on the demo's grid so
// that each fits a 1366x768 screen beside the sidebar. A lead map in an example names its preset and stores no rows:
// it follows the preset, as the installed package defines it (rows stored in the flow would read as edited).
require('./usage').helpRequested(`Usage: node scripts/examples.js [--check]

Writes examples/*.json; with --check, writes nothing and exits 1 when a committed example differs from what this
script writes (test/examples.test.js runs the check).`);
const fs = require('node:fs');
const path = require('node:path');
const { PLATFORMS, LAYOUT, receiverAndRoute } = require('./demo-flow');

const OUT_X = LAYOUT.columns[3];
const ROW = LAYOUT.firstRow;
const NEXT_ROW = LAYOUT.rowHeight;
const [, , MAP_X] = LAYOUT.columns;
// The second part of a longer flow starts a row of its own, reached through link nodes.
const LINK_OUT_X = MAP_X + 125;
const TAIL_ROW = ROW + 2 * NEXT_ROW;
const TAIL_COLUMNS = [40, 170, 380, MAP_X];

// What to configure at each platform; the source's name as the comment calls it.
const SETUP = {
  saleassist: [
    'SaleAssist',
    'In SaleAssist: Settings → API → Webhooks, choose "widget new conversation", paste this node\'s URL, and add a custom header x-webhook-token with a long random value. Open the "SaleAssist" source and paste the same value as its token.',
  ],
  salesmagic: [
    'SalesMagic',
    'In the SalesMagic (Svix) portal, add an endpoint with this node\'s URL and subscribe to call.completed. Copy the endpoint\'s signing secret (whsec_…) into the "SalesMagic" source.',
  ],
  callcall: [
    'CallCall.ai',
    'Register this node\'s URL with CallCall.ai (POST /api/v1/webhooks, events customer.qualified) and paste the webhook secret into the "CallCall.ai" source.',
  ],
  salescaling: [
    'Salescaling',
    'In Salescaling, create a webhook for commercial_signal_detected with this node\'s URL and a custom header x-webhook-token with a long random value; paste the same value as the token of the "Salescaling" source.',
  ],
  recorder: [
    'Meeting recorder',
    'In the recording platform: Settings → Webhooks → Create Webhook, this node\'s URL (HTTPS in production), the events you need, and a secret; paste that secret into the "Meeting recorder" source.',
  ],
};
const sendTip = (provider) =>
  `Send a test event from the sales webhook node's dialog (Send test event) or with \`npx sales-webhooks send ${provider} --url <this URL> --secret <secret>\`.`;

function debug(id, tab, name, [x, y], complete = 'true') {
  return {
    id,
    type: 'debug',
    z: tab,
    name,
    active: true,
    tosidebar: true,
    console: false,
    complete,
    targetType: complete === 'true' ? 'full' : 'msg',
    statusVal: '',
    statusType: 'auto',
    x,
    y,
    wires: [],
  };
}

/** The receiving part every example shares: comment, source, receiver, switch by event type, lead map. */
function receiving({ prefix, label, provider, columns, receiverName = '', comment, next, rejected, other }) {
  const [, eventType] = PLATFORMS.find(([p]) => p === provider);
  const tab = `${prefix}-tab`;
  const [sourceName] = SETUP[provider];
  return [
    { id: tab, type: 'tab', label, disabled: false, info: '' },
    {
      id: `${prefix}-howto`,
      type: 'comment',
      z: tab,
      name: `Configure: ${sourceName} source (secret) and the platform's webhook settings`,
      info: comment,
      ...LAYOUT.comment,
      wires: [],
    },
    { id: `${prefix}-src`, type: 'sales-webhook-source', name: sourceName, provider, tolerance: 300 },
    ...receiverAndRoute({
      prefix,
      tab,
      provider,
      source: `${prefix}-src`,
      name: receiverName,
      at: [columns[0], columns[1], ROW],
      next: `${prefix}-map`,
      other,
      rejected,
    }),
    {
      id: `${prefix}-map`,
      type: 'sales-lead-map',
      z: tab,
      name: 'map to lead',
      preset: `${provider}:${eventType}`,
      mappings: [],
      property: 'payload',
      split: false,
      splitPath: '',
      version: 1,
      x: columns[2],
      y: ROW,
      wires: [next, [rejected]],
    },
  ];
}

/** One flow per platform: its events become leads in the debug sidebar. */
function platformExample(provider) {
  const prefix = `ex-${provider}`;
  const tab = `${prefix}-tab`;
  const [sourceName, setup] = SETUP[provider];
  return [
    ...receiving({
      prefix,
      label: `${sourceName} leads`,
      provider,
      columns: LAYOUT.columns,
      comment: `${setup}\n\n${sendTip(provider)}`,
      next: [`${prefix}-leads`],
      rejected: `${prefix}-rejected`,
      other: `${prefix}-other`,
    }),
    debug(`${prefix}-leads`, tab, 'leads', [OUT_X, ROW], 'payload'),
    debug(`${prefix}-rejected`, tab, 'not a lead', [OUT_X, ROW + NEXT_ROW]),
    debug(`${prefix}-other`, tab, 'other events', [OUT_X, ROW + 2 * NEXT_ROW]),
  ];
}

/**
 * SaleAssist's leads into a CRM, created or updated. The CRM part has a row of its own (through link nodes), so that
 * the crm out node's status, long while the account is not set up yet, stays on the screen.
 */
/** A link from the end of the receiving row to the flow's second row (the CRM or the file), which starts at `target`. */
function linkToTail(prefix, tab, name, linkId, target) {
  return [
    {
      id: `${prefix}-${linkId}`,
      type: 'link out',
      z: tab,
      name,
      mode: 'link',
      links: [`${prefix}-from-map`],
      x: LINK_OUT_X,
      y: ROW,
      wires: [],
    },
    {
      id: `${prefix}-from-map`,
      type: 'link in',
      z: tab,
      name: 'leads',
      links: [`${prefix}-${linkId}`],
      x: TAIL_COLUMNS[0],
      y: TAIL_ROW,
      wires: [[`${prefix}-${target}`]],
    },
  ];
}

function crmExample() {
  const prefix = 'ex-crm';
  const tab = `${prefix}-tab`;
  return [
    ...receiving({
      prefix,
      label: 'SaleAssist → CRM',
      provider: 'saleassist',
      columns: LAYOUT.columns,
      comment: `${SETUP.saleassist[1]}\n\nThen open the CRM account: choose your CRM, paste its token (Salesforce: also the instance URL). Leads are created, or updated when the person already exists.`,
      next: [`${prefix}-to-crm`],
      rejected: `${prefix}-rejected`,
      other: `${prefix}-other`,
    }),
    ...linkToTail(prefix, tab, 'to the CRM', 'to-crm', 'crm'),
    {
      id: `${prefix}-account`,
      type: 'sales-crm-account',
      name: 'My CRM',
      system: 'hubspot',
      baseUrl: '',
      apiVersion: 'v60.0',
      maxAttempts: 5,
      minDelay: 500,
      maxDelay: 30000,
      timeout: 10000,
      concurrency: 4,
    },
    {
      id: `${prefix}-crm`,
      type: 'sales-crm out',
      z: tab,
      name: '',
      account: `${prefix}-account`,
      fieldMap: [],
      externalIdField: 'Email',
      method: 'POST',
      url: '',
      version: 1,
      x: TAIL_COLUMNS[1],
      y: TAIL_ROW,
      wires: [[`${prefix}-done`], [`${prefix}-failed`]],
    },
    debug(`${prefix}-done`, tab, 'in the CRM', [TAIL_COLUMNS[3], TAIL_ROW], 'crm'),
    debug(`${prefix}-failed`, tab, 'CRM refused', [TAIL_COLUMNS[3], TAIL_ROW + NEXT_ROW], 'error'),
    debug(`${prefix}-other`, tab, 'other events', [MAP_X, ROW + NEXT_ROW]),
    debug(`${prefix}-rejected`, tab, 'not a lead', [OUT_X, ROW + NEXT_ROW]),
  ];
}

/** Leads into a file; the settle node marks each delivery delivered once written, or failed when writing failed. */
function settleExample() {
  const prefix = 'ex-settle';
  const tab = `${prefix}-tab`;
  return [
    ...receiving({
      prefix,
      label: 'SaleAssist → file, settled',
      provider: 'saleassist',
      columns: LAYOUT.columns,
      comment: `${SETUP.saleassist[1]}\n\nEach lead is appended to leads.jsonl (in Node-RED's working directory). The settle node marks the delivery delivered once the file node has written it; the catch node sends a write error to it, which marks the delivery failed. The delivery log (sidebar) shows both; a delivery not settled in time is emitted again.\n\n${sendTip('saleassist')}`,
      next: [`${prefix}-to-file`],
      rejected: `${prefix}-rejected`,
      other: `${prefix}-other`,
    }),
    ...linkToTail(prefix, tab, 'to the file', 'to-file', 'file'),
    {
      id: `${prefix}-file`,
      type: 'file',
      z: tab,
      name: 'leads.jsonl',
      filename: 'leads.jsonl',
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'utf8',
      x: TAIL_COLUMNS[1],
      y: TAIL_ROW,
      wires: [[`${prefix}-settle`]],
    },
    {
      id: `${prefix}-catch`,
      type: 'catch',
      z: tab,
      name: 'write failed',
      scope: [`${prefix}-file`],
      uncaught: false,
      x: TAIL_COLUMNS[1],
      y: TAIL_ROW + NEXT_ROW,
      wires: [[`${prefix}-settle`]],
    },
    {
      id: `${prefix}-settle`,
      type: 'sales-webhook settle',
      z: tab,
      name: '',
      version: 1,
      x: TAIL_COLUMNS[2],
      y: TAIL_ROW,
      wires: [[]],
    },
    debug(`${prefix}-other`, tab, 'other events', [MAP_X, ROW + NEXT_ROW]),
    debug(`${prefix}-rejected`, tab, 'not a lead', [OUT_X, ROW + NEXT_ROW]),
  ];
}

/** The alert node wired to a message a mail, Slack or SMS node can send (a debug node stands in for it). */
function alertsExample() {
  const { ALERT_KINDS } = require('../dist/alerts/problems.js');
  const { ALERT_DEFAULTS } = require('../dist/alerts/monitor.js');
  const { KEEP_PROBLEMS_IN } = require('../dist/alerts/storage.js');
  const { currentVersion } = require('../dist/migrations.js');
  const prefix = 'ex-alerts';
  const tab = `${prefix}-tab`;
  return [
    { id: tab, type: 'tab', label: 'Sales webhook alerts', disabled: false, info: '' },
    {
      id: `${prefix}-howto`,
      type: 'comment',
      z: tab,
      name: 'Configure: wire the alert node to your e-mail, Slack or SMS node',
      info: `The alert node sends one message when a problem opens and one when it is resolved, never one per failure: msg.topic is the kind (${ALERT_KINDS.join(', ')}), msg.payload.text a sentence to send as it is.\n\nReplace the debug node with node-red-node-email, a Slack node or an SMS node; the change node below puts the sentence in msg.payload and a subject in msg.topic, which is what those nodes send. Set *Quiet after* on the alert node to a little more than the longest pause your platforms normally have.`,
      x: LAYOUT.comment.x,
      y: LAYOUT.comment.y,
      wires: [],
    },
    {
      id: `${prefix}-alert`,
      type: 'sales-webhook alert',
      z: tab,
      name: 'tell sales ops',
      kinds: [...ALERT_KINDS],
      scope: 'all',
      ...ALERT_DEFAULTS,
      // Open problems kept where the watched nodes keep their inbox.
      keepIn: KEEP_PROBLEMS_IN[0],
      problemStore: '',
      version: currentVersion('sales-webhook alert'),
      x: LAYOUT.columns[0],
      y: ROW,
      wires: [[`${prefix}-message`]],
    },
    {
      id: `${prefix}-message`,
      type: 'change',
      z: tab,
      name: 'subject and text',
      rules: [
        {
          t: 'set',
          p: 'topic',
          pt: 'msg',
          to: '"Sales webhooks: " & payload.kind & " " & payload.state',
          tot: 'jsonata',
        },
        { t: 'set', p: 'payload', pt: 'msg', to: 'payload.text', tot: 'msg' },
      ],
      x: LAYOUT.columns[1],
      y: ROW,
      wires: [[`${prefix}-send`]],
    },
    debug(`${prefix}-send`, tab, 'e-mail, Slack or SMS here', [LAYOUT.columns[3], ROW]),
  ];
}

function examples() {
  return {
    ...Object.fromEntries(PLATFORMS.map(([provider]) => [provider, platformExample(provider)])),
    'saleassist-to-crm': crmExample(),
    'saleassist-to-file-settled': settleExample(),
    alerts: alertsExample(),
  };
}

const examplesDir = path.join(__dirname, '..', 'examples');
/** The file's text as prettier (the repository's format check) writes it. */
async function asFile(name, flow) {
  const prettier = require('prettier');
  const file = path.join(examplesDir, `${name}.json`);
  return prettier.format(JSON.stringify(flow), { ...(await prettier.resolveConfig(file)), filepath: file });
}

/** The names of committed examples that differ from (or are missing beside) what examples() describes. */
async function staleExamples() {
  const wanted = examples();
  const present = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
  const stale = [];
  for (const [name, flow] of Object.entries(wanted)) {
    const file = path.join(examplesDir, `${name}.json`);
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== (await asFile(name, flow))) stale.push(name);
  }
  return [...stale, ...present.map((f) => f.slice(0, -5)).filter((name) => !(name in wanted))];
}

module.exports = { examples, staleExamples };

if (require.main === module) {
  (async () => {
    if (process.argv.includes('--check')) {
      const stale = await staleExamples();
      if (stale.length) {
        console.error(`examples differ from scripts/examples.js: ${stale.join(', ')} (run node scripts/examples.js)`);
        process.exitCode = 1;
      }
    } else {
      for (const [name, flow] of Object.entries(examples()))
        fs.writeFileSync(path.join(examplesDir, `${name}.json`), await asFile(name, flow));
    }
  })();
}
