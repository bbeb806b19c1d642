import { buildFields } from '../fieldmap';
import type { CrmRequest } from '../http';
import { acceptsOf, idOf, isSuccess, readXRateLimit } from './common';
import type { CrmField, CrmSender, CrmSystem, PreparedRecord, RecordOutcome, SystemContext } from './types';

/**
 * Pipedrive: persons through API v2 (POST /api/v2/persons, PATCH /api/v2/persons/{id}, GET /api/v2/persons/search
 * with exact_match), which replaced the v1 person endpoints (deprecated April 2025, out of support since 1 August
 * 2026); leads stay on /api/v1/leads, their current endpoints. No batch endpoint: one lead at a time.
 */
const PERSONS = '/api/v2/persons';
const LEADS = '/api/v1/leads';
/** A custom field's key is a 40-character hash; v2 takes those under custom_fields. */
const CUSTOM_FIELD_KEY = /^[0-9a-f]{40}$/;

/** The v2 person body: e-mail and phone as lists, custom fields apart. */
function personBody(record: PreparedRecord): Record<string, unknown> {
  const { email, phone, name, ...rest } = record.fields;
  const person: Record<string, unknown> = {
    name: name ?? record.lead.fullName ?? record.lead.email ?? '[not provided]',
  };
  if (typeof email === 'string') person.emails = [{ value: email, primary: true, label: 'work' }];
  if (typeof phone === 'string') person.phones = [{ value: phone, primary: true, label: 'work' }];
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (CUSTOM_FIELD_KEY.test(key)) custom[key] = value;
    else person[key] = value;
  }
  if (Object.keys(custom).length) person.custom_fields = custom;
  return person;
}

const leadTitle = (record: PreparedRecord, person: Record<string, unknown>) =>
  `${String(person.name)}${record.lead.source.provider ? ` (${record.lead.source.provider})` : ''}`;

async function upsertOne(record: PreparedRecord, context: SystemContext, sender: CrmSender): Promise<RecordOutcome> {
  const hooks = context.options.hooks;
  const person = personBody(record);
  let personId: string | undefined;
  const email = typeof record.fields.email === 'string' ? record.fields.email : record.lead.email;
  if (email) {
    const found = await sender.send(
      { method: 'GET', path: `${PERSONS}/search`, query: { term: email, fields: 'email', exact_match: 'true' } },
      hooks,
    );
    if (!isSuccess(found)) sender.fail(found, 'search for the person');
    const items = (found.body as { data?: { items?: Array<{ item?: { id?: number } }> } })?.data?.items ?? [];
    if (items[0]?.item?.id !== undefined) personId = String(items[0].item.id);
  }
  if (personId) {
    const updated = await sender.send({ method: 'PATCH', path: `${PERSONS}/${personId}`, body: person }, hooks);
    if (!isSuccess(updated)) sender.fail(updated, 'update the person');
  } else {
    const created = await sender.send({ method: 'POST', path: PERSONS, body: person }, hooks);
    if (!isSuccess(created)) sender.fail(created, 'create the person');
    personId = idOf(created.body);
  }
  const title = leadTitle(record, person);
  // One open lead per person: a repeated lead updates it instead of adding another.
  const leads = await sender.send({ method: 'GET', path: LEADS, query: { person_id: String(personId) } }, hooks);
  if (!isSuccess(leads)) sender.fail(leads, "look up the person's leads");
  const existingLead = ((leads.body as { data?: Array<{ id?: string }> })?.data ?? [])[0]?.id;
  if (existingLead) {
    const patched = await sender.send({ method: 'PATCH', path: `${LEADS}/${existingLead}`, body: { title } }, hooks);
    if (!isSuccess(patched)) sender.fail(patched, 'update the lead');
    return { ok: true, id: existingLead, action: 'updated' };
  }
  const created = await sender.send(
    { method: 'POST', path: LEADS, body: { title, person_id: Number(personId) } },
    hooks,
  );
  if (!isSuccess(created)) sender.fail(created, 'create the lead');
  return { ok: true, id: idOf(created.body), action: 'created' };
}

export const pipedrive: CrmSystem = {
  id: 'pipedrive',
  label: 'Pipedrive',
  auths: ['token', 'refresh-token'],
  defaultBaseUrl: 'https://api.pipedrive.com',
  defaultLoginUrl: 'https://oauth.pipedrive.com',
  tokenPath: '/oauth/token',
  // Pipedrive takes the client's id and secret as HTTP Basic authentication, not in the form.
  clientAuthentication: 'basic',
  defaultApiVersion: '',
  batchSize: 1,
  quota: {
    requests: 20,
    intervalMs: 2_000,
    daily: 30_000,
    source:
      'Pipedrive "Rate limiting": 20 requests per 2 s per api_token on the entry plan (80 per access_token), a daily budget of 30,000 tokens times the plan and seats; x-ratelimit-* and x-daily-requests-left headers',
  },
  defaultFieldMap: [
    ['name', 'fullName'],
    ['email', 'email'],
    ['phone', 'phone'],
  ].map(([crmField, leadField]) => ({ crmField, leadField })),

  isTokenExpired(status) {
    return status === 401;
  },

  readRateLimit(headers) {
    return readXRateLimit(headers, 'x-daily-requests-left');
  },

  prepare(lead, { options }) {
    return { lead, fields: buildFields(lead, options.fieldMap), batchKey: '' };
  },

  buildRequests(records) {
    const [record] = records;
    const person = personBody(record);
    const email = typeof record.fields.email === 'string' ? record.fields.email : record.lead.email;
    const requests: CrmRequest[] = [];
    if (email)
      requests.push({
        method: 'GET',
        path: `${PERSONS}/search`,
        query: { term: email, fields: 'email', exact_match: 'true' },
      });
    requests.push({ method: 'POST', path: PERSONS, body: person });
    requests.push({
      method: 'POST',
      path: LEADS,
      body: { title: leadTitle(record, person), person_id: '<the person id>' },
    });
    return requests;
  },

  async upsert(records, context, sender) {
    const outcomes: RecordOutcome[] = [];
    for (const record of records) outcomes.push(await upsertOne(record, context, sender));
    return outcomes;
  },

  async listFields(sender) {
    const res = await sender.send({ method: 'GET', path: '/api/v1/personFields', query: { limit: '500' } });
    if (!isSuccess(res)) sender.fail(res, 'list the person fields');
    const fields =
      (
        res.body as {
          data?: Array<{
            key: string;
            name?: string;
            field_type?: string;
            mandatory_flag?: boolean;
            edit_flag?: boolean;
            bulk_edit_allowed?: boolean;
            options?: Array<{ label: string }>;
          }>;
        }
      )?.data ?? [];
    return fields.map((f): CrmField => {
      const type = f.field_type ?? 'varchar';
      return {
        name: f.key,
        label: f.name || f.key,
        type,
        accepts: acceptsOf(type, {
          number: ['double', 'int', 'monetary'],
          date: ['date'],
          enumeration: ['enum', 'set'],
        }),
        required: Boolean(f.mandatory_flag) || f.key === 'name',
        custom: CUSTOM_FIELD_KEY.test(f.key),
        writable: f.bulk_edit_allowed !== false,
        ...(f.options?.length ? { options: f.options.map((o) => o.label) } : {}),
      };
    });
  },

  async whoAmI(client) {
    const res = await client.send({ method: 'GET', path: '/api/v1/users/me' });
    if (!isSuccess(res)) client.fail(res, 'answer a read with this account');
    const me = (res.body as { data?: { email?: string; name?: string; company_name?: string } })?.data;
    return `${me?.email ?? me?.name ?? 'a Pipedrive user'}${me?.company_name ? ` at ${me.company_name}` : ''}`;
  },
};
