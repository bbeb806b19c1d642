'use strict';
// What the crash and multi-instance tests share: signed SaleAssist deliveries, one per e-mail, posted without keep-alive,
// and the CRM emulator's contacts counted per e-mail (more than one would be a lead delivered twice).
const crypto = require('node:crypto');
const http = require('node:http');
const send = require('./senders');

/** One SaleAssist delivery for this e-mail, signed with HMAC-SHA256 over the exact bytes (or forged). */
function signedLead(email, secret, { forged = false } = {}) {
  const event = JSON.parse(send.fixture('saleassist', 'widget_new_conversation'));
  event.payload.people_detail = { ...event.payload.people_detail, email };
  const body = JSON.stringify(event);
  const signature = crypto
    .createHmac('sha256', forged ? 'not-the-secret' : secret)
    .update(body)
    .digest('hex');
  return { email, body, headers: { 'content-type': 'application/json', 'x-signature': `sha256=${signature}` } };
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

module.exports = { signedLead, postStatus, contactsByEmail };
