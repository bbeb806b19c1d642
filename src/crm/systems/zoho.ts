import { buildFields } from '../fieldmap';
import { cut, scrub } from '../errors';
import { acceptsOf, isSuccess, lastNameOf, readXRateLimit, unsendable } from './common';
import type { CrmField, CrmSystem, RecordOutcome } from './types';

/** Zoho CRM's API version: v8 is current (Zoho's "Insert or Update Records (Upsert)" page, up to 100 records a call). */
export const ZOHO_API_VERSION = 'v8';

/** Zoho's data centres and their accounts servers (Zoho's "Multi DC" page); the API domain comes from the token answer. */
export const ZOHO_ACCOUNTS_SERVERS: Record<string, string> = {
  com: 'https://accounts.zoho.com',
  eu: 'https://accounts.zoho.eu',
  in: 'https://accounts.zoho.in',
  'com.au': 'https://accounts.zoho.com.au',
  jp: 'https://accounts.zoho.jp',
  ca: 'https://accounts.zohocloud.ca',
  sa: 'https://accounts.zoho.sa',
  uk: 'https://accounts.zoho.uk',
  'com.cn': 'https://accounts.zoho.com.cn',
};

const duplicateCheckFields = (externalIdField: string | undefined) =>
  (externalIdField?.trim() || 'Email')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);

interface RecordAnswer {
  status?: string;
  code?: string;
  action?: string;
  message?: string;
  details?: { id?: string; api_name?: string };
}

/**
 * Zoho CRM: Leads through the upsert API, duplicate-checked on the fields named in "Upsert by" (Email by default,
 * comma-separated for several). Zoho requires Last_Name (and Company on Leads), so both are filled when missing.
 */
export const zoho: CrmSystem = {
  id: 'zoho',
  label: 'Zoho CRM',
  auths: ['refresh-token'],
  defaultBaseUrl: 'https://www.zohoapis.com',
  // The accounts server depends on the data centre (ZOHO_ACCOUNTS_SERVERS).
  defaultLoginUrl: '',
  tokenPath: '/oauth/v2/token',
  clientAuthentication: 'form',
  defaultApiVersion: '',
  batchSize: 100,
  quota: {
    daily: 5_000,
    source:
      'Zoho CRM "API Limits": credits per rolling 24 hours (5,000 in the Free edition, 50,000 plus per-licence credits in paid ones), one credit per call of up to 10 records, concurrency 10 to 25 calls by edition; no per-second rate',
  },
  defaultFieldMap: [
    ['Email', 'email'],
    ['First_Name', 'firstName'],
    ['Last_Name', 'lastName'],
    ['Phone', 'phone'],
    ['Company', 'company'],
    ['Designation', 'jobTitle'],
    ['Street', 'address'],
    ['City', 'city'],
    ['State', 'state'],
    ['Zip_Code', 'postalCode'],
    ['Country', 'country'],
  ].map(([crmField, leadField]) => ({ crmField, leadField })),

  isTokenExpired(status, body) {
    if (status !== 401) return false;
    const o = body as Record<string, unknown> | undefined;
    return o?.code === 'INVALID_TOKEN' || o?.code === 'AUTHENTICATION_FAILURE';
  },

  readRateLimit(headers) {
    return readXRateLimit(headers);
  },

  prepare(lead, { options }) {
    const fields = buildFields(lead, options.fieldMap);
    if (!fields.Last_Name) fields.Last_Name = lastNameOf(lead);
    if (!fields.Company) fields.Company = lead.company || '[not provided]';
    const checks = duplicateCheckFields(options.externalIdField);
    if (checks.every((f) => fields[f] === undefined || fields[f] === '')) {
      // Zoho would insert a second Lead each time this lead comes back.
      throw unsendable(
        `the lead has no value for ${checks.join(', ')}, the field Zoho checks for duplicates: map it in the field map`,
      );
    }
    return { lead, fields, batchKey: checks.join(',') };
  },

  buildRequests(records, { options }) {
    return [
      {
        method: 'POST',
        path: `/crm/${ZOHO_API_VERSION}/Leads/upsert`,
        body: {
          data: records.map((r) => r.fields),
          duplicate_check_fields: duplicateCheckFields(options.externalIdField),
          trigger: [],
        },
      },
    ];
  },

  async upsert(records, context, sender) {
    const [request] = this.buildRequests(records, context);
    const res = await sender.send(request, context.options.hooks);
    // Zoho answers per record, in order; a whole-call status of 400 may still carry per-record answers.
    const answers = ((res.body as { data?: RecordAnswer[] } | undefined)?.data ?? []) as RecordAnswer[];
    if (!isSuccess(res) && answers.length !== records.length) sender.fail(res, 'upsert the leads');
    const secrets = sender.secrets();
    return records.map((_record, i): RecordOutcome => {
      const answer = answers[i];
      if (!answer)
        return { ok: false, status: res.status, retryable: true, reason: 'Zoho gave no result for this lead' };
      if (answer.status === 'success')
        return { ok: true, id: answer.details?.id, action: answer.action === 'update' ? 'updated' : 'created' };
      const field = answer.details?.api_name ? ` (${answer.details.api_name})` : '';
      return {
        ok: false,
        status: res.status,
        reason: cut(
          scrub(`Zoho refused the lead: ${answer.code ?? 'ERROR'}: ${answer.message ?? ''}${field}`, secrets),
          500,
        ),
      };
    });
  },

  async listFields(sender) {
    const res = await sender.send({
      method: 'GET',
      path: `/crm/${ZOHO_API_VERSION}/settings/fields`,
      query: { module: 'Leads' },
    });
    if (!isSuccess(res)) sender.fail(res, 'list the Leads fields');
    const fields =
      (
        res.body as {
          fields?: Array<{
            api_name: string;
            field_label?: string;
            display_label?: string;
            data_type?: string;
            system_mandatory?: boolean;
            custom_field?: boolean;
            read_only?: boolean;
            field_read_only?: boolean;
            pick_list_values?: Array<{ actual_value?: string; display_value?: string }>;
          }>;
        }
      )?.fields ?? [];
    return fields.map((f): CrmField => {
      const type = f.data_type ?? 'text';
      return {
        name: f.api_name,
        label: f.display_label || f.field_label || f.api_name,
        type,
        accepts: acceptsOf(type, {
          number: ['integer', 'double', 'currency', 'bigint', 'decimal'],
          boolean: ['boolean'],
          date: ['date', 'datetime'],
          enumeration: ['picklist', 'multiselectpicklist'],
        }),
        required: Boolean(f.system_mandatory),
        custom: Boolean(f.custom_field),
        writable: !f.read_only && !f.field_read_only,
        ...(f.pick_list_values?.length
          ? { options: f.pick_list_values.map((p) => p.actual_value ?? p.display_value ?? '') }
          : {}),
      };
    });
  },

  async whoAmI(client) {
    const token = await client.tokens.get();
    const base = client.baseUrl(token.apiBaseUrl);
    const res = await client.send({
      method: 'GET',
      path: `/crm/${ZOHO_API_VERSION}/users`,
      query: { type: 'CurrentUser' },
    });
    if (!isSuccess(res)) client.fail(res, 'answer a read with this account');
    const user = (res.body as { users?: Array<{ email?: string; full_name?: string }> })?.users?.[0];
    return `${user?.email ?? user?.full_name ?? 'a Zoho CRM user'} on ${base}`;
  },
};
