'use strict';
// What the delivery log's tests share: a receiving flow whose deliveries reach the inbox (and, with the CRM emulator,
// a real `sales-crm out` that settles them), signed and forged posts, waiting for a delivery's state, adminAuth users
// and their tokens.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const bcrypt = require('bcryptjs');
const { postRaw } = require('./flow');
const { hubspotOutNodes } = require('./leads-load');
const { waitFor } = require('./real-node-red');
const send = require('./senders');

const PASSWORD = 'log-test-pass';

/**
 * settings.js for the log's tests: no tour; with `auth`, adminAuth users: `admin` (*), `reader` (sales-webhooks.read), `viewer` (read: Node-RED's
 * read-only user, which can open the editor), `outsider` (flows.read only) and `mapper` (only the lead
 * map's sales-lead-map.read, not the log's).
 */
function logSettings({ auth = false, extra = '' } = {}) {
  const hash = JSON.stringify(bcrypt.hashSync(PASSWORD, 4));
  const adminAuth = auth
    ? `adminAuth: { type: 'credentials', users: [
        { username: 'admin', password: ${hash}, permissions: '*' },
        { username: 'reader', password: ${hash}, permissions: ['sales-webhooks.read'] },
        { username: 'viewer', password: ${hash}, permissions: 'read' },
        { username: 'outsider', password: ${hash}, permissions: ['flows.read'] },
        { username: 'mapper', password: ${hash}, permissions: ['sales-lead-map.read'] },
      ] },`
    : '';
  return `module.exports = { editorTheme: { tours: false }, ${adminAuth} ${extra} };`;
}

/** An access token for an adminAuth user, asked for with all of the user's permissions. */
async function login(url, username) {
  const permissions = {
    admin: '*',
    reader: 'sales-webhooks.read',
    viewer: 'read',
    outsider: 'flows.read',
    mapper: 'sales-lead-map.read',
  }[username];
  const res = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: 'node-red-editor',
      grant_type: 'password',
      scope: permissions,
      username,
      password: PASSWORD,
    }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()).access_token;
}

/**
 * A SalesMagic receiving flow: `sales webhook` node `in` (durable inbox on) → `lead map` (e-mail and name, which the
 * log shows) → a file of "<deliveryId> <attempt> <replay> <email>" lines, so a test sees every emission, replays
 * included. With `emulator`, the lead map also feeds a `sales-crm out` into the emulator's HubSpot, which settles each
 * delivery delivered or failed (without it nothing settles, and a delivery counts as delivered once emitted).
 * `alsoListening`: ids of more `sales webhook` nodes, each on `/webhooks/<id>`, feeding the same lead map.
 */
function logFlow(dir, { emulator, alsoListening = [] } = {}) {
  // Body size, duplicate window and inbox left out: the node's defaults (1 MiB, 24 hours, the inbox on).
  const receiver = (id, url, y) => ({
    id,
    type: 'sales-webhook in',
    z: 'tab',
    name: 'SalesMagic leads',
    x: 120,
    y,
    url,
    source: 'src',
    wires: [['map'], []],
  });
  return [
    { id: 'tab', type: 'tab', label: 'leads' },
    {
      id: 'src',
      type: 'sales-webhook-source',
      name: 'SalesMagic',
      provider: 'salesmagic',
      tolerance: 300,
      credentials: { secret: send.SECRETS.svix },
    },
    receiver('in', '/webhooks/salesmagic', 80),
    ...alsoListening.map((id, i) => receiver(id, `/webhooks/${id}`, 140 + 60 * i)),
    {
      id: 'map',
      type: 'sales-lead-map',
      z: 'tab',
      x: 300,
      y: 80,
      property: 'payload',
      split: false,
      splitPath: '',
      mappings: [
        { field: 'email', path: 'payload.user.email', type: 'email', required: true },
        { field: 'fullName', path: 'payload.user.name', type: 'string', required: false },
      ],
      wires: [emulator ? ['line', 'out'] : ['line'], []],
    },
    {
      id: 'line',
      type: 'change',
      z: 'tab',
      x: 480,
      y: 80,
      rules: [
        {
          t: 'set',
          p: 'payload',
          pt: 'msg',
          to: '$string(webhook.deliveryId) & " " & $string(webhook.attempt) & " " & $string(webhook.replay) & " " & payload.email',
          tot: 'jsonata',
        },
      ],
      wires: [['file']],
    },
    {
      id: 'file',
      type: 'file',
      z: 'tab',
      x: 640,
      y: 80,
      filename: path.join(dir, 'emitted.txt'),
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'utf8',
      wires: [],
    },
    ...(emulator ? hubspotOutNodes({ emulator, out: { x: 480, y: 140 } }) : []),
  ];
}

/**
 * A SalesMagic user.created for this person, signed with the Svix library, posted to the node on `path`. `eventId`
 * is the event's id (random when omitted); `forged` signs it with a secret that is not the source's.
 */
async function postLead(
  url,
  email,
  name = 'Test Person',
  { path: nodePath = '/webhooks/salesmagic', eventId = send.randomId('evt_'), forged = false } = {},
) {
  // The name is sender data and may hold quotes: written as a JSON string, the body stays JSON.
  const body = send
    .fixture('salesmagic', 'user.created')
    .toString('utf8')
    .replace('maria.lopez@salesmagic-demo.com', () => email)
    .replace('"Maria Lopez"', () => JSON.stringify(name))
    .replace('f10bd340-f3aa-42a0-b5be-3f2addee29d0', () => eventId);
  const secret = forged ? `whsec_${crypto.randomBytes(24).toString('base64')}` : send.SECRETS.svix;
  return postRaw(`${url}${nodePath}`, { body, headers: send.svixHeaders(body, { secret }) });
}

/**
 * Waits until the delivery log lists a delivery matching the search `q` in `state` (as the user of `token` when
 * adminAuth is on) and resolves with it: a test posts the next one only then, so the log's order is the posts' order.
 */
async function deliveryInState(url, q, state, { token } = {}) {
  let found;
  await waitFor(async () => {
    const res = await fetch(`${url}/sales-webhooks/deliveries?${new URLSearchParams({ q, state })}`, {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    [found] = (await res.json()).deliveries;
    return found !== undefined;
  });
  return found;
}

const emitted = (dir) => {
  const file = path.join(dir, 'emitted.txt');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
};

module.exports = { logSettings, login, logFlow, postLead, deliveryInState, emitted, PASSWORD };
