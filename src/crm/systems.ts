import type { Lead } from '../leadmap/lead';
import { CrmError } from './errors';
import { buildFields, readLeadField, type FieldMapRow } from './fieldmap';
import type { CrmHttp, CrmResponse, SendHooks } from './http';
import type { AccountSettings, CrmSystem } from './settings';

/** What one sales-crm out node asks of the account for each lead. */
export interface UpsertOptions {
  fieldMap: FieldMapRow[];
  /** Salesforce: the external id field to upsert by, e.g. Email or External_Id__c; empty means always create. Zoho: the duplicate check fields, comma-separated (Email when empty). */
  externalIdField?: string;
  /** http: method and URL (absolute, or a path under the account's base URL). */
  method?: 'POST' | 'PUT' | 'PATCH';
  url?: string;
  /** This node's own callbacks (a retry shown in its status), never a slot shared through the account. */
  hooks?: SendHooks;
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

async function hubspot(client: CrmHttp, lead: Lead, options: UpsertOptions): Promise<Omit<UpsertResult, 'system'>> {
  const properties = buildFields(lead, options.fieldMap);
  const created = await client.send(
    { method: 'POST', path: '/crm/v3/objects/contacts', body: { properties } },
    options.hooks,
  );
  if (ok(created)) return { id: idOf(created.body), action: 'created', attempts: created.attempts };
  if (created.status !== 409) client.fail(created, 'create the contact');
  // HubSpot answers a duplicate email with 409 and "Existing ID: <id>" in its message.
  const existing = /Existing ID:\s*(\d+)/i.exec(created.text)?.[1];
  if (!existing) client.fail(created, 'create the contact');
  const updated = await client.send(
    { method: 'PATCH', path: `/crm/v3/objects/contacts/${encodeURIComponent(existing)}`, body: { properties } },
    options.hooks,
  );
  if (!ok(updated)) client.fail(updated, 'update the contact');
  return { id: existing, action: 'updated', attempts: Math.max(created.attempts, updated.attempts) };
}

async function salesforce(
  client: CrmHttp,
  settings: AccountSettings,
  lead: Lead,
  options: UpsertOptions,
): Promise<Omit<UpsertResult, 'system'>> {
  const fields = buildFields(lead, options.fieldMap);
  // Salesforce requires LastName and Company on a Lead.
  if (!fields.LastName)
    fields.LastName = lead.lastName || lead.fullName || (lead.email ? lead.email.split('@')[0] : '[not provided]');
  if (!fields.Company) fields.Company = lead.company || '[not provided]';
  const base = `/services/data/${settings.apiVersion}/sobjects/Lead`;
  const externalField = options.externalIdField?.trim();
  const externalValue = externalField ? fields[externalField] : undefined;
  if (externalField && (externalValue === undefined || externalValue === '')) {
    // Creating instead would make a second record each time this lead comes back.
    throw new CrmError(
      `the lead has no value for ${externalField}, the field Salesforce upserts by: map it in the field map, or clear "Upsert by" to always create`,
      undefined,
      undefined,
      0,
    );
  }
  if (externalField) {
    const { [externalField]: _key, ...rest } = fields;
    const res = await client.send(
      {
        method: 'PATCH',
        path: `${base}/${encodeURIComponent(externalField)}/${encodeURIComponent(String(externalValue))}`,
        body: rest,
      },
      options.hooks,
    );
    if (!ok(res)) client.fail(res, 'upsert the lead');
    const body = res.body as { id?: string; created?: boolean } | undefined;
    return {
      id: body?.id,
      action: res.status === 201 || body?.created === true ? 'created' : 'updated',
      attempts: res.attempts,
    };
  }
  const res = await client.send({ method: 'POST', path: base, body: fields }, options.hooks);
  if (!ok(res)) client.fail(res, 'create the lead');
  return { id: idOf(res.body), action: 'created', attempts: res.attempts };
}

async function pipedrive(client: CrmHttp, lead: Lead, options: UpsertOptions): Promise<Omit<UpsertResult, 'system'>> {
  const fields = buildFields(lead, options.fieldMap);
  const person: Record<string, unknown> = {
    ...fields,
    name: fields.name ?? lead.fullName ?? lead.email ?? '[not provided]',
  };
  if (typeof fields.email === 'string') person.email = [{ value: fields.email, primary: true, label: 'work' }];
  if (typeof fields.phone === 'string') person.phone = [{ value: fields.phone, primary: true, label: 'work' }];
  let attempts = 0;
  let personId: string | undefined;
  if (lead.email) {
    const found = await client.send(
      {
        method: 'GET',
        path: '/api/v1/persons/search',
        query: { term: lead.email, fields: 'email', exact_match: 'true' },
      },
      options.hooks,
    );
    attempts = Math.max(attempts, found.attempts);
    if (!ok(found)) client.fail(found, 'search for the person');
    const items = (found.body as { data?: { items?: Array<{ item?: { id?: number } }> } })?.data?.items ?? [];
    if (items[0]?.item?.id !== undefined) personId = String(items[0].item.id);
  }
  if (personId) {
    const updated = await client.send(
      { method: 'PUT', path: `/api/v1/persons/${personId}`, body: person },
      options.hooks,
    );
    attempts = Math.max(attempts, updated.attempts);
    if (!ok(updated)) client.fail(updated, 'update the person');
  } else {
    const created = await client.send({ method: 'POST', path: '/api/v1/persons', body: person }, options.hooks);
    attempts = Math.max(attempts, created.attempts);
    if (!ok(created)) client.fail(created, 'create the person');
    personId = idOf(created.body);
  }
  const title = `${String(person.name)}${lead.source.provider ? ` (${lead.source.provider})` : ''}`;
  // One open lead per person: a repeated lead updates it instead of adding another.
  const leads = await client.send(
    { method: 'GET', path: '/api/v1/leads', query: { person_id: String(personId) } },
    options.hooks,
  );
  attempts = Math.max(attempts, leads.attempts);
  if (!ok(leads)) client.fail(leads, "look up the person's leads");
  const existingLead = ((leads.body as { data?: Array<{ id?: string }> })?.data ?? [])[0]?.id;
  if (existingLead) {
    const patched = await client.send(
      { method: 'PATCH', path: `/api/v1/leads/${existingLead}`, body: { title } },
      options.hooks,
    );
    if (!ok(patched)) client.fail(patched, 'update the lead');
    return { id: existingLead, action: 'updated', attempts: Math.max(attempts, patched.attempts) };
  }
  const created = await client.send(
    { method: 'POST', path: '/api/v1/leads', body: { title, person_id: Number(personId) } },
    options.hooks,
  );
  if (!ok(created)) client.fail(created, 'create the lead');
  return { id: idOf(created.body), action: 'created', attempts: Math.max(attempts, created.attempts) };
}

async function http(client: CrmHttp, lead: Lead, options: UpsertOptions): Promise<Omit<UpsertResult, 'system'>> {
  const res = await client.send(
    { method: options.method ?? 'POST', path: options.url || '/', body: buildFields(lead, options.fieldMap) },
    options.hooks,
  );
  if (!ok(res)) client.fail(res, 'take the lead');
  return {
    id: idOf(res.body),
    action: res.status === 201 || options.method === 'POST' ? 'created' : 'updated',
    attempts: res.attempts,
  };
}

/** Zoho CRM's API version: v8 is current (Zoho's "Insert or Update Records (Upsert)" page). */
export const ZOHO_API_VERSION = 'v8';

/**
 * Zoho CRM: one Lead through the upsert API, duplicate-checked on the fields named in "Upsert by" (Email by default,
 * comma-separated for several). Zoho requires Last_Name (and Company on Leads), so both are filled when missing.
 */
async function zoho(client: CrmHttp, lead: Lead, options: UpsertOptions): Promise<Omit<UpsertResult, 'system'>> {
  const fields = buildFields(lead, options.fieldMap);
  if (!fields.Last_Name)
    fields.Last_Name = lead.lastName || lead.fullName || (lead.email ? lead.email.split('@')[0] : '[not provided]');
  if (!fields.Company) fields.Company = lead.company || '[not provided]';
  const duplicateCheckFields = (options.externalIdField?.trim() || 'Email')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const missing = duplicateCheckFields.filter((f) => fields[f] === undefined || fields[f] === '');
  if (missing.length === duplicateCheckFields.length) {
    // Zoho would insert a second Lead each time this lead comes back.
    throw new CrmError(
      `the lead has no value for ${duplicateCheckFields.join(', ')}, the field Zoho checks for duplicates: map it in the field map`,
      undefined,
      undefined,
      0,
    );
  }
  const res = await client.send(
    {
      method: 'POST',
      path: `/crm/${ZOHO_API_VERSION}/Leads/upsert`,
      body: { data: [fields], duplicate_check_fields: duplicateCheckFields, trigger: [] },
    },
    options.hooks,
  );
  const row = ((
    res.body as { data?: Array<{ status?: string; action?: string; details?: { id?: string } }> } | undefined
  )?.data ?? [])[0];
  // Zoho answers per record: a batch status of 200/201/202 can still carry a record that failed.
  if (!ok(res) || row?.status !== 'success') client.fail(res, 'upsert the lead');
  return { id: row?.details?.id, action: row?.action === 'update' ? 'updated' : 'created', attempts: res.attempts };
}

/** Creates the lead in the CRM, or updates the record it already has for this person. */
export async function upsertLead(
  client: CrmHttp,
  settings: AccountSettings,
  lead: Lead,
  options: UpsertOptions,
): Promise<UpsertResult> {
  const result =
    settings.system === 'hubspot'
      ? await hubspot(client, lead, options)
      : settings.system === 'salesforce'
        ? await salesforce(client, settings, lead, options)
        : settings.system === 'pipedrive'
          ? await pipedrive(client, lead, options)
          : settings.system === 'zoho'
            ? await zoho(client, lead, options)
            : await http(client, lead, options);
  return { system: settings.system, ...result };
}

/**
 * "Test connection": fetches a token and makes one harmless read that says who the account is. Returns a short text
 * for the dialog; throws CrmError (scrubbed) with the CRM's reason.
 */
export async function whoAmI(client: CrmHttp): Promise<string> {
  const { settings } = client;
  const token = await client.tokens.get();
  const read = async (path: string, query?: Record<string, string>) => {
    const res = await client.send({ method: 'GET', path, query });
    if (!ok(res)) client.fail(res, 'answer a read with this account');
    return res.body as Record<string, any> | undefined;
  };
  const base = client.baseUrl(token.apiBaseUrl);
  switch (settings.system) {
    case 'salesforce': {
      // userinfo needs the app's "id"/"openid" scope; without it, the REST API's limits are a harmless read that needs only "api".
      const me = await client.send({ method: 'GET', path: '/services/oauth2/userinfo' });
      if (ok(me)) return `${(me.body as Record<string, any>)?.preferred_username ?? 'a Salesforce user'} on ${base}`;
      await read(`/services/data/${settings.apiVersion}/limits`);
      return `the REST API of ${base}`;
    }
    case 'hubspot': {
      const me = await read('/account-info/v3/details');
      return `HubSpot account ${me?.portalId ?? '?'}${me?.uiDomain ? ` (${me.uiDomain})` : ''}`;
    }
    case 'pipedrive': {
      const me = await read('/api/v1/users/me');
      return `${me?.data?.email ?? me?.data?.name ?? 'a Pipedrive user'}${me?.data?.company_name ? ` at ${me.data.company_name}` : ''}`;
    }
    case 'zoho': {
      const me = await read(`/crm/${ZOHO_API_VERSION}/users`, { type: 'CurrentUser' });
      const user = me?.users?.[0];
      return `${user?.email ?? user?.full_name ?? 'a Zoho CRM user'} on ${base}`;
    }
    default:
      // An HTTP API has no standard "who am I"; a token from its OAuth server is as far as a harmless test can go.
      return settings.auth === 'client-credentials'
        ? `a token from ${settings.loginUrl}`
        : `nothing to check: the token is sent as it is to ${base}`;
  }
}

export { readLeadField };
