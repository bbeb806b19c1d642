'use strict';
// What the crash, multi-instance and delivery-log tests share: signed SaleAssist deliveries, one per e-mail, posted
// without keep-alive, the CRM emulator's contacts counted per e-mail (more than one would be a lead delivered twice),
// and a `sales-crm out` node sending to the emulator's HubSpot.
const crypto = require('node:crypto');
const http = require('node:http');
const send = require('./senders');
const { getLeadPreset } = require('../../dist/providers/registry');

/** These exact bytes signed as hmacSource checks them: HMAC-SHA256 in X-Signature, `sha256=<hex>` (or forged). */
function signedBody(body, secret, { forged = false } = {}) {
  const signature = crypto
    .createHmac('sha256', forged ? 'not-the-secret' : secret)
    .update(body)
    .digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-signature': `sha256=${signature}` } };
}

/** One SaleAssist delivery for this e-mail, signed with HMAC-SHA256 over the exact bytes (or forged). */
function signedLead(email, secret, options) {
  const event = JSON.parse(send.fixture('saleassist', 'widget_new_conversation'));
  event.payload.people_detail = { ...event.payload.people_detail, email };
  return { email, ...signedBody(JSON.stringify(event), secret, options) };
}

/** Posts and resolves with the status, or 0 when the connection broke before an answer. */
function postStatus(url, { body, headers }) {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'POST', agent: false, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const contactsByEmail = (emulator) => {
  const counts = new Map();
  for (const contact of emulator.hubspot.contacts.values())
    counts.set(contact.properties.email, (counts.get(contact.properties.email) ?? 0) + 1);
  return counts;
};

/** A source that checks an HMAC-SHA256 of the body in X-Signature (`sha256=<hex>`), as signedLead signs. */
const hmacSource = (secret, id = 'src') => ({
  id,
  type: 'sales-webhook-source',
  provider: 'hmac',
  prefix: 'sha256=',
  credentials: { secret },
});

/**
 * sales webhook (HMAC over the body, `/webhooks/leads`) → the SaleAssist lead-map preset → sales-crm out into the
 * emulator's HubSpot. `receiver`, `account` and `out` add to or replace the properties of those three nodes.
 */
function leadsToCrmFlow({ emulator, secret, receiver = {}, account = {}, out = {}, extraNodes = [] }) {
  const preset = getLeadPreset('saleassist:widget_new_conversation');
  return [
    { id: 'tab', type: 'tab', label: 'leads' },
    ...extraNodes,
    { ...hmacSource(secret), tolerance: 300 },
    {
      id: 'in',
      type: 'sales-webhook in',
      z: 'tab',
      url: '/webhooks/leads',
      source: 'src',
      maxBytes: 1048576,
      dedupe: true,
      dedupeHours: 24,
      ...receiver,
      version: 1,
      wires: [['map'], []],
    },
    {
      id: 'map',
      type: 'sales-lead-map',
      z: 'tab',
      preset: preset.id,
      mappings: preset.mappings,
      property: 'payload',
      split: false,
      splitPath: '',
      version: 1,
      wires: [['out'], []],
    },
    ...hubspotOutNodes({ emulator, account, out }),
  ];
}

/**
 * A `sales-crm out` node `out` and its account `acct`: HubSpot on the emulator, three attempts 20 to 100 ms apart, so
 * a CRM that keeps failing settles the delivery failed within a second. `account` and `out` add to or replace their
 * properties.
 */
function hubspotOutNodes({ emulator, account = {}, out = {} }) {
  return [
    {
      id: 'acct',
      type: 'sales-crm-account',
      system: 'hubspot',
      baseUrl: emulator.url,
      maxAttempts: 3,
      minDelay: 20,
      maxDelay: 100,
      timeout: 5000,
      concurrency: 4,
      ...account,
      credentials: { token: emulator.token },
    },
    { id: 'out', type: 'sales-crm out', z: 'tab', account: 'acct', fieldMap: [], version: 1, wires: [[], []], ...out },
  ];
}

/** The id the emulator's HubSpot gave the contact with this e-mail. */
const contactId = (emulator, email) =>
  [...emulator.hubspot.contacts.values()].find((contact) => contact.properties.email === email)?.id;

module.exports = {
  hmacSource,
  signedBody,
  signedLead,
  postStatus,
  contactsByEmail,
  contactId,
  leadsToCrmFlow,
  hubspotOutNodes,
};
