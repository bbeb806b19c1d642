import type { Lead } from '../../leadmap/lead';
import { CrmError } from '../errors';
import type { FieldMapRow } from '../fieldmap';
import type { CrmHttp, CrmRequest } from '../http';
import type { AccountSettings } from '../settings';
import { hubspot } from './hubspot';
import { http } from './http';
import { pipedrive } from './pipedrive';
import { salesforce } from './salesforce';
import type { CrmField, CrmSender, CrmSystem, CrmSystemId, UpsertOptions, UpsertResult } from './types';
import { zoho } from './zoho';

export * from './types';
export { ZOHO_ACCOUNTS_SERVERS, ZOHO_API_VERSION } from './zoho';

// A new CRM is one import and one entry here (and its emulator in test/support/crm-emulator.js).
const SYSTEMS: Record<CrmSystemId, CrmSystem> = { hubspot, salesforce, pipedrive, zoho, http };

export function getCrmSystem(id: CrmSystemId): CrmSystem;
export function getCrmSystem(id: string | undefined): CrmSystem | undefined;
export function getCrmSystem(id: string | undefined): CrmSystem | undefined {
  return id !== undefined && Object.prototype.hasOwnProperty.call(SYSTEMS, id) ? SYSTEMS[id as CrmSystemId] : undefined;
}

export function listCrmSystems(): readonly CrmSystem[] {
  return Object.values(SYSTEMS);
}

/** The field map each system's new node starts with. */
export const DEFAULT_FIELD_MAPS = Object.fromEntries(listCrmSystems().map((s) => [s.id, s.defaultFieldMap])) as Record<
  CrmSystemId,
  FieldMapRow[]
>;

/** What the editor, help and README show of each system: JSON-safe, no functions. */
export function describeCrmSystems() {
  return listCrmSystems().map((s) => ({
    id: s.id,
    label: s.label,
    auths: [...s.auths],
    defaultBaseUrl: s.defaultBaseUrl,
    defaultLoginUrl: s.defaultLoginUrl,
    defaultApiVersion: s.defaultApiVersion,
    apiVersionExample: s.apiVersionExample ?? '',
    batchSize: s.batchSize,
    quota: { ...s.quota },
    defaultFieldMap: s.defaultFieldMap.map((row) => ({ ...row })),
  }));
}

/**
 * The exact requests the node sends for this one lead when the CRM has no record of it yet: the "Send test lead"
 * preview. The account's token is not in them (the client adds it when sending). Throws CrmError when the lead
 * cannot be sent as it is (a missing upsert key), with the message output 2 would carry.
 */
export function previewLeadRequests(settings: AccountSettings, lead: Lead, options: UpsertOptions): CrmRequest[] {
  const system = getCrmSystem(settings.system);
  const context = { settings, options };
  return system.buildRequests([system.prepare(lead, context)], context);
}

/**
 * Creates the lead in the CRM, or updates the record it already has for this person: one lead, sent at once through
 * the client (the node batches and paces through an AccountDelivery instead). Throws CrmError with the CRM's reason.
 */
export async function upsertLead(
  client: CrmSender,
  settings: AccountSettings,
  lead: Lead,
  options: UpsertOptions,
): Promise<UpsertResult> {
  const system = getCrmSystem(settings.system);
  const context = { settings, options };
  let attempts = 0;
  const counting: CrmSender = {
    secrets: () => client.secrets(),
    fail: (res, what) => client.fail(res, what),
    send: async (request, hooks) => {
      const res = await client.send(request, hooks);
      attempts = Math.max(attempts, res.attempts);
      return res;
    },
  };
  const [outcome] = await system.upsert([system.prepare(lead, context)], context, counting);
  if (!outcome.ok) throw new CrmError(outcome.reason, outcome.status, outcome.reason, attempts);
  return { system: system.id, id: outcome.id, action: outcome.action, attempts };
}

/** The account's record fields for the field picker (HubSpot contact properties, Salesforce Lead describe, …). */
export function listCrmFields(sender: CrmSender, settings: AccountSettings): Promise<CrmField[]> {
  return getCrmSystem(settings.system).listFields(sender, settings);
}

/**
 * "Test connection": fetches a token and makes one harmless read that says who the account is. Returns a short text
 * for the dialog; throws CrmError (scrubbed) with the CRM's reason.
 */
export async function whoAmI(client: CrmHttp): Promise<string> {
  await client.tokens.get();
  return getCrmSystem(client.settings.system).whoAmI(client);
}
