import { buildFields } from '../fieldmap';
import { cut, scrub } from '../errors';
import type { CrmRequest } from '../http';
import { acceptsOf, isSuccess, numericHeader, unsendable } from './common';
import type { CrmField, CrmSystem, PreparedRecord, RecordOutcome } from './types';

/**
 * HubSpot CRM, date-versioned objects API (checked against HubSpot's published OpenAPI documents,
 * github.com/HubSpot/HubSpot-public-api-spec-collection, PublicApiSpecs/CRM/Contacts/Rollouts/424/2026-09/contacts.json
 * and CRM/Properties/…/2026-09/properties.json). Contacts are upserted by e-mail, up to 100 a call.
 */
const contacts = (version: string) => `/crm/objects/${version}/contacts`;

/** HubSpot's property values are strings in the schema (`additionalProperties: { type: string }`). */
const asPropertyValue = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

interface UpsertResultRow {
  id?: string;
  new?: boolean;
  objectWriteTraceId?: string;
  properties?: Record<string, string>;
}
interface BatchError {
  message?: string;
  category?: string;
  context?: Record<string, unknown>;
  errors?: Array<{ message?: string; in?: string; code?: string }>;
}

/** Every string an error's context names (ids, trace ids, property names): how a batch error points at its records. */
const contextValues = (error: BatchError) =>
  Object.values(error.context ?? {})
    .flat()
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.toLowerCase());

/** The reason a record was refused, naming the property when HubSpot names it ("lifecyclestage is required"). */
function reasonOf(error: BatchError): string {
  const details = (error.errors ?? [])
    .map((d) => [d.in, d.message].filter(Boolean).join(': '))
    .filter(Boolean)
    .join('; ');
  const properties = (error.context?.propertyName ?? error.context?.properties) as unknown;
  const named = Array.isArray(properties) && properties.length ? ` (property ${properties.join(', ')})` : '';
  return [error.category, error.message, details].filter(Boolean).join(': ') + named;
}

export const hubspot: CrmSystem = {
  id: 'hubspot',
  label: 'HubSpot',
  auths: ['token', 'refresh-token'],
  defaultBaseUrl: 'https://api.hubapi.com',
  defaultLoginUrl: 'https://api.hubapi.com',
  tokenPath: '/oauth/v1/token',
  clientAuthentication: 'form',
  // HubSpot's date versions since March 2026; the numbered /crm/v3 paths are legacy (supported until September 2027).
  defaultApiVersion: '2026-09',
  apiVersionPattern: /^\d{4}-\d{2}(-beta)?$/,
  apiVersionExample: '2026-09',
  batchSize: 100,
  quota: {
    requests: 100,
    intervalMs: 10_000,
    daily: 250_000,
    source:
      'HubSpot API usage guidelines: private apps 100 requests per 10 s (190 on Professional and Enterprise), 250,000 a day and more on higher tiers',
  },
  defaultFieldMap: [
    ['email', 'email'],
    ['firstname', 'firstName'],
    ['lastname', 'lastName'],
    ['phone', 'phone'],
    ['company', 'company'],
    ['jobtitle', 'jobTitle'],
    ['address', 'address'],
    ['city', 'city'],
    ['state', 'state'],
    ['zip', 'postalCode'],
    ['country', 'country'],
  ].map(([crmField, leadField]) => ({ crmField, leadField })),

  isTokenExpired(status, body, text) {
    if (status !== 401) return false;
    const o = body as Record<string, unknown> | undefined;
    return (
      o?.category === 'EXPIRED_AUTHENTICATION' ||
      o?.category === 'INVALID_AUTHENTICATION' ||
      /expired/i.test(String(o?.message ?? text))
    );
  },

  readRateLimit(headers) {
    return {
      limit: numericHeader(headers, 'x-hubspot-ratelimit-max'),
      remaining: numericHeader(headers, 'x-hubspot-ratelimit-remaining'),
      intervalMs: numericHeader(headers, 'x-hubspot-ratelimit-interval-milliseconds'),
      dailyLimit: numericHeader(headers, 'x-hubspot-ratelimit-daily'),
      dailyRemaining: numericHeader(headers, 'x-hubspot-ratelimit-daily-remaining'),
    };
  },

  prepare(lead, { options }) {
    const fields = buildFields(lead, options.fieldMap);
    const email = String(fields.email ?? lead.email ?? '')
      .trim()
      .toLowerCase();
    if (!email)
      throw unsendable(
        'the lead has no e-mail, which HubSpot upserts contacts by: map an e-mail to the contact property email',
      );
    fields.email = email;
    return { lead, fields, batchKey: 'email' };
  },

  buildRequests(records, { settings }) {
    // One input per e-mail: HubSpot refuses a whole batch that names the same id twice; the later lead's values win.
    const inputs = new Map<
      string,
      { id: string; idProperty: string; objectWriteTraceId: string; properties: Record<string, string> }
    >();
    for (const record of records) {
      const email = String(record.fields.email);
      const properties: Record<string, string> = { ...inputs.get(email)?.properties };
      for (const [name, value] of Object.entries(record.fields)) properties[name] = asPropertyValue(value);
      inputs.set(email, { id: email, idProperty: 'email', objectWriteTraceId: email, properties });
    }
    const request: CrmRequest = {
      method: 'POST',
      path: `${contacts(settings.apiVersion)}/batch/upsert`,
      body: { inputs: [...inputs.values()] },
    };
    return [request];
  },

  async upsert(records, context, sender) {
    const [request] = this.buildRequests(records, context);
    const res = await sender.send(request, context.options.hooks);
    if (!isSuccess(res)) sender.fail(res, 'upsert the contacts');
    // 200 when every input was upserted, 207 with `errors` beside `results` when some were refused.
    const body = (res.body ?? {}) as { results?: UpsertResultRow[]; errors?: BatchError[] };
    const byEmail = new Map<string, UpsertResultRow>();
    for (const row of body.results ?? []) {
      const key = (row.objectWriteTraceId ?? row.properties?.email ?? '').toLowerCase();
      if (key) byEmail.set(key, row);
    }
    const errors = body.errors ?? [];
    const secrets = sender.secrets();
    return records.map((record: PreparedRecord): RecordOutcome => {
      const email = String(record.fields.email);
      const row = byEmail.get(email);
      if (row) return { ok: true, id: row.id, action: row.new ? 'created' : 'updated' };
      const error =
        errors.find((e) => contextValues(e).includes(email)) ?? (errors.length === 1 ? errors[0] : undefined);
      if (error)
        return {
          ok: false,
          status: res.status,
          reason: cut(scrub(`HubSpot refused the contact: ${reasonOf(error)}`, secrets), 500),
        };
      return { ok: false, status: res.status, retryable: true, reason: 'HubSpot gave no result for this contact' };
    });
  },

  async listFields(sender, settings) {
    const version = settings.apiVersion;
    const [properties, schema] = await Promise.all([
      sender.send({ method: 'GET', path: `/crm/properties/${version}/contacts`, query: { archived: 'false' } }),
      sender.send({ method: 'GET', path: `/crm-object-schemas/${version}/schemas/contacts` }),
    ]);
    if (!isSuccess(properties)) sender.fail(properties, 'list the contact properties');
    // The object schema names the portal's required properties; without the schema scope the list is still useful.
    const required = new Set(
      isSuccess(schema)
        ? (((schema.body as { requiredProperties?: string[] })?.requiredProperties ?? []) as string[])
        : [],
    );
    const rows =
      (
        properties.body as {
          results?: Array<{
            name: string;
            label?: string;
            type?: string;
            fieldType?: string;
            hubspotDefined?: boolean;
            calculated?: boolean;
            hidden?: boolean;
            modificationMetadata?: { readOnlyValue?: boolean };
            options?: Array<{ value: string; hidden?: boolean }>;
          }>;
        }
      )?.results ?? [];
    return rows
      .filter((p) => !p.hidden)
      .map((p): CrmField => {
        const type = p.type ?? 'string';
        return {
          name: p.name,
          label: p.label || p.name,
          type,
          accepts: acceptsOf(type, {
            number: ['number'],
            boolean: ['bool'],
            date: ['date', 'datetime'],
            enumeration: ['enumeration'],
          }),
          required: required.has(p.name) || p.name === 'email',
          custom: p.hubspotDefined === false,
          writable: !p.calculated && !p.modificationMetadata?.readOnlyValue,
          ...(p.options?.length ? { options: p.options.filter((o) => !o.hidden).map((o) => o.value) } : {}),
        };
      });
  },

  async whoAmI(client) {
    const res = await client.send({ method: 'GET', path: '/account-info/v3/details' });
    if (!isSuccess(res)) client.fail(res, 'answer a read with this account');
    const me = res.body as { portalId?: number; uiDomain?: string } | undefined;
    return `HubSpot account ${me?.portalId ?? '?'}${me?.uiDomain ? ` (${me.uiDomain})` : ''}`;
  },
};
