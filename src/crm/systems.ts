import type { Lead } from '../leadmap/lead';
import { CrmError } from './errors';
import { buildFields, readLeadField, type FieldMapRow } from './fieldmap';
import type { CrmHttp, CrmResponse } from './http';
import type { AccountSettings, CrmSystem } from './settings';

/** What one sales-crm out node asks of the account for each lead. */
export interface UpsertOptions {
  fieldMap: FieldMapRow[];
  /** Salesforce: the external id field to upsert by, e.g. Email or External_Id__c. Empty means always create. */
  externalIdField?: string;
  /** http: method and URL (absolute, or a path under the account's base URL). */
  method?: 'POST' | 'PUT' | 'PATCH';
  url?: string;
}

export interface UpsertResult {
  system: CrmSystem;
  id: string | undefined;
  action: 'created' | 'updated';
  attempts: number;
}

const ok = (r: CrmResponse) => r.status >= 200 && r.status < 300;
const idOf = (body: unknown): string | undefined => {
  const o = body as Record<string, unknown> | undefined;
  const id = o?.id ?? (o?.data as Record<string, unknown> | undefined)?.id;
  return id === undefined || id === null ? undefined : String(id);
};

async function hubspot(http: CrmHttp, lead: Lead, options: UpsertOptions): Promise<Omit<UpsertResult, 'system'>> {
  const properties = buildFields(lead, options.fieldMap);
  const created = await http.send({ method: 'POST', path: '/crm/v3/objects/contacts', body: { properties } });
  if (ok(created)) return { id: idOf(created.body), action: 'created', attempts: created.attempts };
  if (created.status !== 409) http.fail(created, 'create the contact');
  // HubSpot answers a duplicate email with 409 and "Existing ID: <id>" in its message.
  const existing = /Existing ID:\s*(\d+)/i.exec(created.text)?.[1];
  if (!existing) http.fail(created, 'create the contact');
  const updated = await http.send({ method: 'PATCH', path: `/crm/v3/objects/contacts/${encodeURIComponent(existing)}`, body: { properties } });
  if (!ok(updated)) http.fail(updated, 'update the contact');
  return { id: existing, action: 'updated', attempts: Math.max(created.attempts, updated.attempts) };
}

async function salesforce(http: CrmHttp, settings: AccountSettings, lead: Lead, options: UpsertOptions): Promise<Omit<UpsertResult, 'system'>> {
  const fields = buildFields(lead, options.fieldMap);
  // Salesforce requires LastName and Company on a Lead.
  if (!fields.LastName) fields.LastName = lead.lastName || lead.fullName || (lead.email ? lead.email.split('@')[0] : '[not provided]');
  if (!fields.Company) fields.Company = lead.company || '[not provided]';
  const base = `/services/data/${settings.apiVersion}/sobjects/Lead`;
  const externalField = options.externalIdField?.trim();
  const externalValue = externalField ? fields[externalField] : undefined;
  if (externalField && (externalValue === undefined || externalValue === '')) {
    // Creating instead would make a second record each time this lead comes back.
    throw new CrmError(`the lead has no value for ${externalField}, the field Salesforce upserts by: map it in the field map, or clear "Upsert by" to always create`, undefined, undefined, 0);
  }
  if (externalField) {
    const { [externalField]: _key, ...rest } = fields;
    const res = await http.send({ method: 'PATCH', path: `${base}/${encodeURIComponent(externalField)}/${encodeURIComponent(String(externalValue))}`, body: rest });
    if (!ok(res)) http.fail(res, 'upsert the lead');
    const body = res.body as { id?: string; created?: boolean } | undefined;
    return { id: body?.id, action: res.status === 201 || body?.created === true ? 'created' : 'updated', attempts: res.attempts };
  }
  const res = await http.send({ method: 'POST', path: base, body: fields });
  if (!ok(res)) http.fail(res, 'create the lead');
  return { id: idOf(res.body), action: 'created', attempts: res.attempts };
}

async function pipedrive(http: CrmHttp, lead: Lead, options: UpsertOptions): Promise<Omit<UpsertResult, 'system'>> {
  const fields = buildFields(lead, options.fieldMap);
  const person: Record<string, unknown> = { ...fields, name: fields.name ?? lead.fullName ?? lead.email ?? '[not provided]' };
  if (typeof fields.email === 'string') person.email = [{ value: fields.email, primary: true, label: 'work' }];
  if (typeof fields.phone === 'string') person.phone = [{ value: fields.phone, primary: true, label: 'work' }];
  let attempts = 0;
  let personId: string | undefined;
  if (lead.email) {
    const found = await http.send({ method: 'GET', path: '/api/v1/persons/search', query: { term: lead.email, fields: 'email', exact_match: 'true' } });
    attempts = Math.max(attempts, found.attempts);
    if (!ok(found)) http.fail(found, 'search for the person');
    const items = ((found.body as { data?: { items?: Array<{ item?: { id?: number } }> } })?.data?.items ?? []);
    if (items[0]?.item?.id !== undefined) personId = String(items[0].item.id);
  }
  if (personId) {
    const updated = await http.send({ method: 'PUT', path: `/api/v1/persons/${personId}`, body: person });
    attempts = Math.max(attempts, updated.attempts);
    if (!ok(updated)) http.fail(updated, 'update the person');
  } else {
    const created = await http.send({ method: 'POST', path: '/api/v1/persons', body: person });
    attempts = Math.max(attempts, created.attempts);
    if (!ok(created)) http.fail(created, 'create the person');
    personId = idOf(created.body);
  }
  const title = `${String(person.name)}${lead.source.provider ? ` (${lead.source.provider})` : ''}`;
  // One open lead per person: a repeated lead updates it instead of adding another.
  const leads = await http.send({ method: 'GET', path: '/api/v1/leads', query: { person_id: String(personId) } });
  attempts = Math.max(attempts, leads.attempts);
  if (!ok(leads)) http.fail(leads, 'look up the person\'s leads');
  const existingLead = ((leads.body as { data?: Array<{ id?: string }> })?.data ?? [])[0]?.id;
  if (existingLead) {
    const patched = await http.send({ method: 'PATCH', path: `/api/v1/leads/${existingLead}`, body: { title } });
    if (!ok(patched)) http.fail(patched, 'update the lead');
    return { id: existingLead, action: 'updated', attempts: Math.max(attempts, patched.attempts) };
  }
  const created = await http.send({ method: 'POST', path: '/api/v1/leads', body: { title, person_id: Number(personId) } });
  if (!ok(created)) http.fail(created, 'create the lead');
  return { id: idOf(created.body), action: 'created', attempts: Math.max(attempts, created.attempts) };
}

async function generic(http: CrmHttp, lead: Lead, options: UpsertOptions): Promise<Omit<UpsertResult, 'system'>> {
  const res = await http.send({ method: options.method ?? 'POST', path: options.url || '/', body: buildFields(lead, options.fieldMap) });
  if (!ok(res)) http.fail(res, 'take the lead');
  return { id: idOf(res.body), action: res.status === 201 || options.method === 'POST' ? 'created' : 'updated', attempts: res.attempts };
}

/** Creates the lead in the CRM, or updates the record it already has for this person. */
export async function upsertLead(http: CrmHttp, settings: AccountSettings, lead: Lead, options: UpsertOptions): Promise<UpsertResult> {
  const result =
    settings.system === 'hubspot' ? await hubspot(http, lead, options)
    : settings.system === 'salesforce' ? await salesforce(http, settings, lead, options)
    : settings.system === 'pipedrive' ? await pipedrive(http, lead, options)
    : await generic(http, lead, options);
  return { system: settings.system, ...result };
}

/** How each system authenticates: a bearer header, Pipedrive's api_token query parameter, or a named header. */
export function authFor(settings: AccountSettings, token: string, headerName?: string): { headers: Record<string, string>; query: Record<string, string> } {
  switch (settings.system) {
    case 'pipedrive':
      return { headers: {}, query: { api_token: token } };
    case 'http':
      return headerName?.trim() ? { headers: { [headerName.trim().toLowerCase()]: token }, query: {} } : { headers: { authorization: `Bearer ${token}` }, query: {} };
    default:
      return { headers: { authorization: `Bearer ${token}` }, query: {} };
  }
}

export { readLeadField };
