#!/usr/bin/env node
'use strict';
// npm run bench:crm: a burst of signed lead deliveries into a real Node-RED (webhook in with the durable inbox → lead
// map → crm out), for each CRM on its emulator at the CRM's documented quota (HubSpot 100 calls per 10 s), then the
// same number of deliveries failed while the CRM was down and replayed through the delivery log's API. Prints, per
// CRM and phase: leads landed (each exactly once), calls, 429s, time end to end and at the CRM, and the time the
// quota allows; and, measured in the same run, the baseline the node replaced: one call per lead, blind to the quota
// (the public upsertLead with the account's default retries), for one minute.
const fs = require('node:fs');
const path = require('node:path');
const { parseOptions } = require('../scripts/usage');

const USAGE = `Usage: npm run bench:crm [-- options]     (or: node bench/crm.js [options] after npm run build)

Sends a burst of leads, then a replay of as many failed deliveries, through a real Node-RED to each CRM's emulator at
the CRM's documented quota, and prints calls, 429s and time per CRM.

Options:
  --leads <n>           leads per burst (default 1000; Pipedrive, which has no batch endpoint, gets a tenth)
  --systems <list>      CRMs, comma-separated (default hubspot,salesforce,pipedrive,zoho)
  --no-baseline         skip the one-call-per-lead baseline
  --out <file>          also write the results to this file
  -h, --help            this text`;

const { values: options } = parseOptions(USAGE, {
  options: {
    leads: { type: 'string', default: '1000' },
    systems: { type: 'string', default: 'hubspot,salesforce,pipedrive,zoho' },
    'no-baseline': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const { startNodeRed, waitFor } = require('../test/support/real-node-red');
const { startCrmEmulator } = require('../test/support/crm-emulator');
const { signedLead, postStatus, leadsToCrmFlow } = require('../test/support/leads-load');
const { getCrmSystem, accountSettings, CrmHttp, upsertLead } = require('../dist');

const SECRET = 'bench-crm-hmac-secret';
const OAUTH = {
  clientId: 'emulator-client-id',
  clientSecret: 'emulator-client-secret',
  refreshToken: 'emulator-refresh-token',
};

/** How each CRM is set up, where its writes go, and what each write carries. */
const SYSTEMS = {
  hubspot: {
    account: () => ({}),
    credentials: (e) => ({ token: e.token }),
    out: {},
    writes: /\/contacts\/batch\/upsert$/,
    emailsOf: (body) => (body?.inputs ?? []).map((i) => i.id),
    records: (e) => [...e.hubspot.contacts.values()].map((c) => c.properties.email),
  },
  salesforce: {
    account: () => ({}),
    credentials: (e) => ({ token: e.token, instanceUrl: e.url }),
    out: { externalIdField: 'Email' },
    writes: /\/composite\/sobjects/,
    emailsOf: (body) => (body?.records ?? []).map((r) => r.Email),
    records: (e) => [...e.salesforce.leads.values()].map((l) => l.fields.Email),
  },
  pipedrive: {
    account: () => ({}),
    credentials: (e) => ({ token: e.token }),
    out: {},
    writes: /\/api\/v2\/persons$/,
    emailsOf: (body) => (body?.emails ?? []).map((m) => m.value),
    records: (e) => [...e.pipedrive.persons.values()].map((p) => p.emails[0]?.value),
    leadsFactor: 0.1,
  },
  zoho: {
    account: (e) => ({ auth: 'refresh-token', loginUrl: e.url }),
    credentials: () => OAUTH,
    out: {},
    writes: /\/Leads\/upsert$/,
    emailsOf: (body) => (body?.data ?? []).map((r) => r.Email),
    records: (e) => [...e.zoho.leads.values()].map((l) => l.fields.Email),
  },
};

/** Posts the deliveries, 50 at a time, each acknowledged 200 by the inbox. */
async function postAll(url, deliveries) {
  let next = 0;
  const worker = async () => {
    while (next < deliveries.length) {
      const d = deliveries[next++];
      const status = await postStatus(url, d);
      if (status !== 200) throw new Error(`the webhook answered ${status}`);
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
}

/** Writes per e-mail in the requests since `since`: one each means every lead was sent once. */
function writesPerEmail(emulator, spec, since) {
  const counts = new Map();
  for (const r of emulator.requests) {
    if (r.at < since || !spec.writes.test(r.path) || !['POST', 'PATCH'].includes(r.method)) continue;
    for (const email of spec.emailsOf(r.body)) counts.set(email, (counts.get(email) ?? 0) + 1);
  }
  return counts;
}

/** The time the CRM's quota needs for these leads: whole intervals of its limit, at its batch size. */
function quotaTimeMs(system, leads) {
  const { batchSize, quota } = getCrmSystem(system);
  if (!quota.requests || !quota.intervalMs) return undefined;
  const requestsPerLead = system === 'pipedrive' ? 4 : 1;
  const calls = Math.ceil(leads / batchSize) * requestsPerLead;
  return Math.ceil(calls / quota.requests) * quota.intervalMs;
}

async function measure({ emulator, spec, system, emails, start, since }) {
  const calls0 = emulator.calls[system];
  const throttled0 = emulator.throttled[system];
  const started = Date.now();
  await start();
  await waitFor(
    () => {
      const have = new Set(spec.records(emulator));
      return emails.every((e) => have.has(e));
    },
    900_000,
    100,
  );
  const elapsedMs = Date.now() - started;
  const writes = writesPerEmail(emulator, spec, since);
  const recordCounts = new Map();
  for (const email of spec.records(emulator)) recordCounts.set(email, (recordCounts.get(email) ?? 0) + 1);
  const atCrm = emulator.requests.filter((r) => r.at >= since && spec.writes.test(r.path)).map((r) => r.at);
  return {
    leads: emails.length,
    landedOnce: emails.filter((e) => recordCounts.get(e) === 1 && writes.get(e) === 1).length,
    calls: emulator.calls[system] - calls0,
    answered429: emulator.throttled[system] - throttled0,
    elapsedMs,
    crmSpanMs: atCrm.length ? Math.max(...atCrm) - Math.min(...atCrm) : 0,
    quotaTimeMs: quotaTimeMs(system, emails.length),
  };
}

async function benchSystem(system, leads) {
  const spec = SYSTEMS[system];
  const emulator = await startCrmEmulator({ latencyMs: 5 });
  const nodeRed = await startNodeRed();
  try {
    const flow = leadsToCrmFlow({
      emulator,
      secret: SECRET,
      account: { system, ...spec.account(emulator) },
      out: spec.out,
    });
    flow.find((n) => n.id === 'acct').credentials = spec.credentials(emulator);
    await nodeRed.deploy(flow);
    const url = `${nodeRed.url}/webhooks/leads`;

    const burstEmails = Array.from({ length: leads }, (_, i) => `burst-${system}-${i}@example.com`);
    const burst = await measure({
      emulator,
      spec,
      system,
      emails: burstEmails,
      since: Date.now(),
      start: () =>
        postAll(
          url,
          burstEmails.map((e) => signedLead(e, SECRET)),
        ),
    });

    // The CRM down longer than the account's attempts: each delivery ends failed in the inbox.
    const replayEmails = Array.from({ length: leads }, (_, i) => `replay-${system}-${i}@example.com`);
    emulator.fault({ status: 503, forMs: 3_600_000, match: spec.writes });
    await postAll(
      url,
      replayEmails.map((e) => signedLead(e, SECRET)),
    );
    await waitFor(
      async () => {
        const res = await fetch(`${nodeRed.url}/sales-webhooks/deliveries?state=failed&limit=1000`);
        return (await res.json()).deliveries.length >= Math.min(leads, 1000);
      },
      900_000,
      250,
    );
    emulator.clearFaults();
    const replay = await measure({
      emulator,
      spec,
      system,
      emails: replayEmails,
      since: Date.now(),
      start: async () => {
        const res = await fetch(`${nodeRed.url}/sales-webhooks/replay`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ state: 'failed' }),
        });
        if (!res.ok) throw new Error(`replay answered ${res.status}: ${await res.text()}`);
      },
    });
    return { burst, replay };
  } finally {
    await nodeRed.remove();
    await emulator.close();
  }
}

/** One call per lead, blind to the quota, with the account's default retries: what the node did before batching. */
async function baseline(leads, limitMs = 60_000) {
  const emulator = await startCrmEmulator({ latencyMs: 5 });
  const settings = accountSettings({ system: 'hubspot', baseUrl: emulator.url }, { token: emulator.token });
  const client = new CrmHttp(settings, { token: emulator.token });
  const started = Date.now();
  let landed = 0;
  let failed = 0;
  const fieldMap = getCrmSystem('hubspot').defaultFieldMap;
  const lead = (email) => ({ email, firstName: 'Bench', lastName: 'Lead', source: { provider: 'bench' }, custom: {} });
  for (let i = 0; i < leads; i++)
    upsertLead(client, settings, lead(`baseline-${i}@example.com`), { fieldMap }).then(
      () => landed++,
      () => failed++,
    );
  await waitFor(() => landed + failed === leads, limitMs, 200).catch(() => undefined);
  const result = {
    leads,
    landedWithinMs: limitMs,
    landed,
    failed,
    calls: emulator.calls.hubspot,
    answered429: emulator.throttled.hubspot,
    elapsedMs: Date.now() - started,
  };
  await emulator.close();
  client.close().catch(() => undefined);
  return result;
}

const seconds = (ms) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);

async function main() {
  const leads = Number(options.leads);
  if (!Number.isInteger(leads) || leads < 1) {
    console.error(`--leads must be a whole number of at least 1\n\n${USAGE}`);
    process.exit(2);
  }
  const systems = options.systems.split(',').filter(Boolean);
  const unknown = systems.filter((s) => !SYSTEMS[s]);
  if (unknown.length) {
    console.error(`unknown CRM: ${unknown.join(', ')}\n\n${USAGE}`);
    process.exit(2);
  }
  const results = { at: new Date().toISOString(), leads, systems: {} };
  for (const system of systems) {
    const n = Math.max(1, Math.round(leads * (SYSTEMS[system].leadsFactor ?? 1)));
    results.systems[system] = await benchSystem(system, n);
    for (const phase of ['burst', 'replay']) {
      const r = results.systems[system][phase];
      console.log(
        `${system.padEnd(10)} ${phase.padEnd(6)} ${r.landedOnce}/${r.leads} landed once · ${r.calls} calls · ${r.answered429} answered 429 · ${seconds(r.elapsedMs)} end to end, ${seconds(r.crmSpanMs)} at the CRM · quota allows ${seconds(r.quotaTimeMs)}`,
      );
    }
  }
  if (!options['no-baseline']) {
    results.baseline = await baseline(leads);
    const b = results.baseline;
    console.log(
      `baseline   one call per lead, blind to the quota (HubSpot): ${b.landed}/${b.leads} landed, ${b.failed} failed within ${seconds(b.landedWithinMs)} · ${b.calls} calls · ${b.answered429} answered 429`,
    );
    const ours = results.systems.hubspot?.burst;
    if (ours)
      console.log(
        `ratio      HubSpot burst: ${(b.calls / Math.max(1, ours.calls)).toFixed(0)}x fewer calls than the baseline; 429s ${ours.answered429} vs ${b.answered429}`,
      );
  }
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'crm-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (options.out) fs.writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
