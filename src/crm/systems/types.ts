import type { Lead } from '../../leadmap/lead';
import type { FieldMapRow } from '../fieldmap';
import type { CrmHttp, CrmRequest, CrmResponse, SendHooks } from '../http';
import type { AccountSettings, CrmAuth } from '../settings';
import type { CrmCallRecord } from '../calls';

/** The CRMs this package delivers to; `http` is any HTTP API the user describes. */
export const CRM_SYSTEM_IDS = ['hubspot', 'salesforce', 'pipedrive', 'zoho', 'http'] as const;
export type CrmSystemId = (typeof CRM_SYSTEM_IDS)[number];

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

/** What the CRM did with one lead. */
export interface UpsertResult {
  system: CrmSystemId;
  id: string | undefined;
  action: 'created' | 'updated';
  attempts: number;
  /** The lead's requests and their answers (scrubbed, bounded), when it went through the account's delivery. */
  calls?: CrmCallRecord[];
}

/** One field of the CRM's record, as the dialog's field picker shows it. */
export interface CrmField {
  /** The API name the field map stores, e.g. `firstname`, `LastName`, `Zip_Code`, or Pipedrive's hash key. */
  name: string;
  label: string;
  /** The CRM's own type name (string, number, date, enumeration, email, phone, picklist, …). */
  type: string;
  /** What a lead value must be to fill it: the field map flags a lead field whose type cannot. */
  accepts: 'string' | 'number' | 'boolean' | 'date' | 'enumeration' | 'any';
  required: boolean;
  custom: boolean;
  /** The field can be written (calculated and system fields cannot). */
  writable: boolean;
  /** For enumerations: the values the CRM accepts. */
  options?: string[];
}

/**
 * A CRM's documented request limits: `requests` per `intervalMs` where it publishes such a rate (Salesforce and Zoho
 * publish only a daily budget and a concurrency cap), and, where it has one, a daily budget.
 */
export interface CrmQuota {
  requests?: number;
  intervalMs?: number;
  /** Requests (or, for Pipedrive, tokens) per day when the CRM publishes a default; undefined when it depends on the plan. */
  daily?: number;
  /** Where the quota comes from, for the README and help. */
  source: string;
}

/** What a system reads from a CRM answer's headers about its rate limit; every field optional. */
export interface RateLimitInfo {
  /** Requests left in the current interval. */
  remaining?: number;
  /** The interval's size (requests) and length, when the CRM says. */
  limit?: number;
  intervalMs?: number;
  /** Milliseconds until the interval resets. */
  resetMs?: number;
  dailyLimit?: number;
  dailyRemaining?: number;
}

/** One lead ready to send: its CRM fields, built once from the node's field map. */
export interface PreparedRecord {
  lead: Lead;
  fields: Record<string, unknown>;
  /** Leads with the same key may share one call (same object, same upsert key); a system without batches ignores it. */
  batchKey: string;
}

/** What became of one record of a batch. */
export type RecordOutcome =
  | { ok: true; id: string | undefined; action: 'created' | 'updated' }
  | {
      ok: false;
      /** The CRM's reason for this record, scrubbed and cut (e.g. HubSpot's "missing required property lifecyclestage"). */
      reason: string;
      status?: number;
      /** True when a later try could succeed (the record was not judged, e.g. the batch failed as a whole). */
      retryable?: boolean;
    };

/** Everything a system needs to build a request: the account's settings and the node's options. */
export interface SystemContext {
  settings: AccountSettings;
  options: UpsertOptions;
}

/**
 * One CRM: its API version, endpoints, authentication particulars, batch shape, quota and field listing, as data plus
 * small functions. Adding a CRM is one file that exports one of these, one entry in the registry, and its emulator.
 */
export interface CrmSystem {
  id: CrmSystemId;
  label: string;
  /** The ways it authenticates, the first being the default when a saved account names none. */
  auths: readonly CrmAuth[];
  /** The API when the account names none (Salesforce: none, the instance comes from the token answer or the user). */
  defaultBaseUrl: string;
  /** The OAuth server when the account names none. */
  defaultLoginUrl: string;
  /** The token endpoint's path under the login URL ('' when the login URL is the full token URL). */
  tokenPath: string;
  /** How the OAuth client authenticates at the token endpoint: id and secret in the form, or as HTTP Basic. */
  clientAuthentication: 'form' | 'basic';
  /**
   * The API version used when the account names none; '' for a CRM whose paths carry no version the user may choose.
   * `apiVersionPattern` checks an account's override, `apiVersionExample` is shown in the error.
   */
  defaultApiVersion: string;
  apiVersionPattern?: RegExp;
  apiVersionExample?: string;
  /** How many leads one call may carry (1: no batch endpoint). */
  batchSize: number;
  quota: CrmQuota;
  /** The field map a new node starts with. */
  defaultFieldMap: FieldMapRow[];
  /** Whether a 401 answer means the access token expired or was revoked (a fresh one is worth fetching). */
  isTokenExpired(status: number, body: unknown, text: string): boolean;
  /** What the answer's headers say about the rate limit. */
  readRateLimit(headers: CrmResponse['headers']): RateLimitInfo;
  /** The lead's CRM fields and batch key, with the fields the CRM requires filled; throws CrmError when it cannot be sent. */
  prepare(lead: Lead, context: SystemContext): PreparedRecord;
  /**
   * The exact request(s) the node sends for these records when the CRM has none of them yet (the "Send test lead"
   * preview shows them for one lead; a system without batches plans one lead's requests).
   */
  buildRequests(records: PreparedRecord[], context: SystemContext): CrmRequest[];
  /**
   * Sends the records (at most `batchSize`, one batch key) and settles each from its own result: one outcome per
   * record, in order. Throws only for what concerns the whole call (CrmError after the retries, CrmAuthRefusedError).
   * `sender` is the account's client, paced to its quota.
   */
  upsert(records: PreparedRecord[], context: SystemContext, sender: CrmSender): Promise<RecordOutcome[]>;
  /** The record's fields, custom ones included and required ones marked, read through the account. */
  listFields(sender: CrmSender, settings: AccountSettings): Promise<CrmField[]>;
  /** "Test connection": one harmless read that says who the account is. */
  whoAmI(client: CrmHttp): Promise<string>;
}

/**
 * What a system sends through: the account's client (CrmHttp has this shape), or the same wrapped in the account's
 * pacing. `send` retries and answers with the attempts it took; `fail` throws the CRM's scrubbed reason.
 */
export type CrmSender = Pick<CrmHttp, 'send' | 'fail' | 'secrets'>;
