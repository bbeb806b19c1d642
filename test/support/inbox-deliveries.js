'use strict';
// Deliveries as \`sales webhook\` hands them to an inbox store, for the store tests of both kinds (SQLite, Redis):
// each call a new person and duplicate key unless \`over\` says otherwise.

const meta = (over = {}) => ({
  provider: 'saleassist',
  eventType: 'widget_new_conversation',
  eventId: undefined,
  occurredAt: undefined,
  receivedAt: new Date().toISOString(),
  verified: true,
  known: true,
  headers: { 'content-type': 'application/json', 'x-token': '[redacted]' },
  ...over,
});
let counter = 0;
const delivery = (over = {}) => {
  const n = ++counter;
  const body =
    over.body ??
    JSON.stringify({
      event_type: 'widget_new_conversation',
      payload: { people_detail: { email: `p${n}@example.com` } },
    });
  return {
    node: 'n1',
    duplicateKey: `sha256:${n}`,
    duplicateWindowMs: 3600_000,
    receivedAt: Date.now(),
    rawBody: Buffer.from(body),
    meta: meta(),
    issues: [],
    ...over,
    ...(over.body ? { rawBody: Buffer.from(over.body) } : {}),
  };
};

module.exports = { meta, delivery };
