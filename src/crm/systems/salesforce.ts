import { buildFields } from '../fieldmap';
import { cut, scrub } from '../errors';
import { acceptsOf, isSuccess, lastNameOf, unsendable } from './common';
import type { CrmField, CrmSystem, RecordOutcome } from './types';

/**
 * Salesforce REST API: Leads upserted by the external id field through sObject Collections (PATCH
 * /composite/sobjects/Lead/<field>, up to 200 records, allOrNone false: each record succeeds or fails on its own), or
 * created through POST /composite/sobjects when no field is named. The REST API Developer Guide lists Winter '27
 * (API version 68.0) after Summer '26 (67.0); 68.0 is the current release today (December 2026).
 */
const data = (version: string) => `/services/data/${version}`;

interface SaveResult {
  id?: string;
  success?: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; message?: string; fields?: string[] }>;
}

export const salesforce: CrmSystem = {
  id: 'salesforce',
  label: 'Salesforce',
  auths: ['token', 'client-credentials', 'jwt', 'refresh-token'],
  defaultBaseUrl: '',
  defaultLoginUrl: 'https://login.salesforce.com',
  tokenPath: '/services/oauth2/token',
  clientAuthentication: 'form',
  defaultApiVersion: 'v68.0',
  apiVersionPattern: /^v\d+\.\d+$/,
  apiVersionExample: 'v68.0',
  batchSize: 200,
  quota: {
    // Salesforce publishes a daily allocation per org, not a per-second rate; Sforce-Limit-Info reports its use.
    daily: 15_000,
    source:
      'Salesforce API Request Limits and Allocations: 15,000 requests a day in a Developer Edition, 100,000 plus 1,000 per licence in Enterprise; no per-second limit',
  },
  defaultFieldMap: [
    ['Email', 'email'],
    ['FirstName', 'firstName'],
    ['LastName', 'lastName'],
    ['Phone', 'phone'],
    ['Company', 'company'],
    ['Title', 'jobTitle'],
    ['Street', 'address'],
    ['City', 'city'],
    ['State', 'state'],
    ['PostalCode', 'postalCode'],
    ['Country', 'country'],
    ['LeadSource', 'source.provider'],
  ].map(([crmField, leadField]) => ({ crmField, leadField })),

  isTokenExpired(status, body, text) {
    if (status !== 401) return false;
    const o = (Array.isArray(body) ? body[0] : body) as Record<string, unknown> | undefined;
    return o?.errorCode === 'INVALID_SESSION_ID' || /INVALID_SESSION_ID/.test(text);
  },

  readRateLimit(headers) {
    // "api-usage=18/15000": requests used and allowed in the last 24 hours.
    const raw = headers['sforce-limit-info'];
    const match = /api-usage=(\d+)\/(\d+)/.exec(String(Array.isArray(raw) ? raw[0] : (raw ?? '')));
    if (!match) return {};
    const used = Number(match[1]);
    const limit = Number(match[2]);
    return { dailyLimit: limit, dailyRemaining: Math.max(0, limit - used) };
  },

  prepare(lead, { options }) {
    const fields = buildFields(lead, options.fieldMap);
    // Salesforce requires LastName and Company on a Lead.
    if (!fields.LastName) fields.LastName = lastNameOf(lead);
    if (!fields.Company) fields.Company = lead.company || '[not provided]';
    const externalField = options.externalIdField?.trim();
    if (externalField && (fields[externalField] === undefined || fields[externalField] === '')) {
      // Creating instead would make a second record each time this lead comes back.
      throw unsendable(
        `the lead has no value for ${externalField}, the field Salesforce upserts by: map it in the field map, or clear "Upsert by" to always create`,
      );
    }
    return { lead, fields, batchKey: externalField ?? '' };
  },

  buildRequests(records, { settings, options }) {
    const externalField = options.externalIdField?.trim();
    const body = {
      allOrNone: false,
      records: records.map((r) => ({ attributes: { type: 'Lead' }, ...r.fields })),
    };
    return [
      externalField
        ? {
            method: 'PATCH',
            path: `${data(settings.apiVersion)}/composite/sobjects/Lead/${encodeURIComponent(externalField)}`,
            body,
          }
        : { method: 'POST', path: `${data(settings.apiVersion)}/composite/sobjects`, body },
    ];
  },

  async upsert(records, context, sender) {
    const [request] = this.buildRequests(records, context);
    const res = await sender.send(request, context.options.hooks);
    if (!isSuccess(res)) sender.fail(res, 'upsert the leads');
    // One SaveResult (UpsertResult) per record, in the order sent.
    const results = Array.isArray(res.body) ? (res.body as SaveResult[]) : [];
    const secrets = sender.secrets();
    return records.map((_record, i): RecordOutcome => {
      const result = results[i];
      if (!result)
        return { ok: false, status: res.status, retryable: true, reason: 'Salesforce gave no result for this lead' };
      if (result.success) return { ok: true, id: result.id, action: result.created === false ? 'updated' : 'created' };
      const reason = (result.errors ?? [])
        .map(
          (e) => `${e.statusCode ?? 'ERROR'}: ${e.message ?? ''}${e.fields?.length ? ` (${e.fields.join(', ')})` : ''}`,
        )
        .join('; ');
      return {
        ok: false,
        status: res.status,
        reason: cut(scrub(`Salesforce refused the lead: ${reason}`, secrets), 500),
      };
    });
  },

  async listFields(sender, settings) {
    const res = await sender.send({ method: 'GET', path: `${data(settings.apiVersion)}/sobjects/Lead/describe` });
    if (!isSuccess(res)) sender.fail(res, 'describe the Lead object');
    const fields =
      (
        res.body as {
          fields?: Array<{
            name: string;
            label?: string;
            type?: string;
            custom?: boolean;
            nillable?: boolean;
            createable?: boolean;
            updateable?: boolean;
            defaultedOnCreate?: boolean;
            picklistValues?: Array<{ value: string; active?: boolean }>;
          }>;
        }
      )?.fields ?? [];
    return fields.map((f): CrmField => {
      const type = f.type ?? 'string';
      return {
        name: f.name,
        label: f.label || f.name,
        type,
        accepts: acceptsOf(type, {
          number: ['double', 'currency', 'percent', 'int', 'long'],
          boolean: ['boolean'],
          date: ['date', 'datetime'],
          enumeration: ['picklist', 'multipicklist'],
        }),
        // Required on create: not nillable and no default (Salesforce's own rule for required fields).
        required: Boolean(f.createable && f.nillable === false && !f.defaultedOnCreate && type !== 'boolean'),
        custom: Boolean(f.custom),
        writable: Boolean(f.createable || f.updateable),
        ...(f.picklistValues?.length
          ? { options: f.picklistValues.filter((p) => p.active !== false).map((p) => p.value) }
          : {}),
      };
    });
  },

  async whoAmI(client) {
    const token = await client.tokens.get();
    const base = client.baseUrl(token.apiBaseUrl);
    // userinfo needs the app's "id"/"openid" scope; without it, the REST API's limits are a harmless read that needs only "api".
    const me = await client.send({ method: 'GET', path: '/services/oauth2/userinfo' });
    if (isSuccess(me))
      return `${(me.body as Record<string, string>)?.preferred_username ?? 'a Salesforce user'} on ${base}`;
    const limits = await client.send({ method: 'GET', path: `${data(client.settings.apiVersion)}/limits` });
    if (!isSuccess(limits)) client.fail(limits, 'answer a read with this account');
    return `the REST API of ${base}`;
  },
};
