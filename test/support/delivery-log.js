'use strict';
// What the delivery log's tests share: a receiving flow whose deliveries reach the inbox, signed posts, seeds written
// straight into the inbox file, adminAuth users and their tokens.
const fs = require('node:fs');
const path = require('node:path');
const bcrypt = require('bcryptjs');
const { SqliteInboxStore } = require('../../dist/inbox');
const { postRaw } = require('./flow');
const send = require('./senders');

const PASSWORD = 'log-test-pass';

/**
 * settings.js for the log's tests: no tour; with `auth`, adminAuth users: `admin` (*), `reader` (sales-webhooks.read), `viewer` (read: Node-RED's
 * read-only user, which can open the editor) and `outsider` (flows.read only).
 */
function logSettings({ auth = false, extra = '' } = {}) {
  const hash = JSON.stringify(bcrypt.hashSync(PASSWORD, 4));
  const adminAuth = auth
    ? `adminAuth: { type: 'credentials', users: [
        { username: 'admin', password: ${hash}, permissions: '*' },
        { username: 'reader', password: ${hash}, permissions: ['sales-webhooks.read'] },
        { username: 'viewer', password: ${hash}, permissions: 'read' },
        { username: 'outsider', password: ${hash}, permissions: ['flows.read'] },
      ] },`
    : '';
  return `module.exports = { editorTheme: { tours: false }, ${adminAuth} ${extra} };`;
}

/** An access token for an adminAuth user, asked for with all of the user's permissions. */
async function login(url, username) {
  const permissions = { admin: '*', reader: 'sales-webhooks.read', viewer: 'read', outsider: 'flows.read' }[username];
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
 * log shows) → a file of
 * "<deliveryId> <attempt> <replay> <email>" lines, so a test sees every emission, replays included.
 */
function logFlow(dir) {
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
    {
      id: 'in',
      type: 'sales-webhook in',
      z: 'tab',
      name: 'SalesMagic leads',
      x: 120,
      y: 80,
      url: '/webhooks/salesmagic',
      source: 'src',
      maxBytes: 1048576,
      dedupe: true,
      dedupeHours: 24,
      dedupeLimit: 50000,
      dedupeStore: '',
      wires: [['map'], []],
    },
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
      wires: [['line'], []],
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
  ];
}

/** A SalesMagic user.created for this person, signed with the Svix library, posted to the node. */
async function postLead(url, email, name = 'Test Person') {
  const body = send
    .fixture('salesmagic', 'user.created')
    .toString('utf8')
    .replace('maria.lopez@salesmagic-demo.com', email)
    .replace('Maria Lopez', name)
    .replace('f10bd340-f3aa-42a0-b5be-3f2addee29d0', send.randomId('evt_'));
  return postRaw(`${url}/webhooks/salesmagic`, { body, headers: send.svixHeaders(body) });
}

const emitted = (dir) => {
  const file = path.join(dir, 'emitted.txt');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
};

/**
 * seed: writes deliveries straight into the inbox file, for what the merged product makes through other nodes
 * (CRM settlements by `sales-crm out`, refused requests logged by `sales webhook in`). Replace with real posts and
 * a CRM emulator once the inbox wiring is merged. Returns the ids by name.
 */
async function seedInbox(userDir, rows) {
  const store = new SqliteInboxStore(path.join(userDir, 'sales-webhooks.db'));
  const ids = {};
  try {
    for (const row of rows) {
      const receivedAt = row.receivedAt ?? Date.now();
      if (row.rejected) {
        store.logRejected({
          node: row.node,
          provider: 'salesmagic',
          receivedAt,
          statusCode: 401,
          reason: 'no signature matched',
          headers: { 'content-type': 'application/json', 'svix-signature': '[redacted]' },
          bodyPrefix: Buffer.from(JSON.stringify({ email: row.email })),
        });
        continue;
      }
      const body = JSON.stringify({ type: 'user.created', payload: { user: { email: row.email, name: row.name } } });
      const meta = {
        provider: 'salesmagic',
        eventType: 'user.created',
        eventId: row.eventId,
        occurredAt: undefined,
        receivedAt: new Date(receivedAt).toISOString(),
        verified: true,
        known: true,
        headers: {
          'content-type': 'application/json',
          'svix-id': row.eventId ?? 'msg_seed',
          'svix-signature': '[redacted]',
        },
      };
      const { id } = await store.accept({
        node: row.node,
        duplicateKey: `seed:${row.name}:${receivedAt}`,
        duplicateWindowMs: 3600_000,
        receivedAt,
        rawBody: Buffer.from(body),
        meta,
        issues: row.issues ?? [],
      });
      await store.markEmitted(id, {
        attempt: 1,
        settles: true,
        leaseUntil: Date.now() + 3600_000,
        leads: [{ email: row.email, name: row.name }],
      });
      if (row.crm)
        await store.settle(id, {
          system: 'hubspot',
          attempts: row.crm.attempts ?? 1,
          at: receivedAt + 1000,
          lead: { email: row.email, name: row.name },
          ...row.crm,
        });
      ids[row.name] = id;
    }
  } finally {
    await store.close();
  }
  return ids;
}

module.exports = { logSettings, login, logFlow, postLead, emitted, seedInbox, PASSWORD };
