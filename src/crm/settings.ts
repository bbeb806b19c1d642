export const CRM_SYSTEMS = ['hubspot', 'salesforce', 'pipedrive', 'http'] as const;
export type CrmSystem = (typeof CRM_SYSTEMS)[number];

/** What the sales-crm-account dialog stores, besides credentials. */
export interface AccountSettings {
  system: CrmSystem;
  /** Where the API lives; a sandbox or an emulator can be named here. Empty means the system's public API. */
  baseUrl: string;
  /** Salesforce REST API version, e.g. v60.0. */
  apiVersion: string;
  maxAttempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  concurrency: number;
}

export interface AccountCredentials {
  token?: string;
  /** Salesforce instance URL, e.g. https://acme.my.salesforce.com. */
  instanceUrl?: string;
  /** For `http`: the header that carries the token. */
  headerName?: string;
}

export class CrmConfigError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'CrmConfigError';
  }
}

export const DEFAULT_BASE_URLS: Record<CrmSystem, string> = {
  hubspot: 'https://api.hubapi.com',
  salesforce: '',
  pipedrive: 'https://api.pipedrive.com',
  http: '',
};

export const ACCOUNT_DEFAULTS = { apiVersion: 'v60.0', maxAttempts: 5, minDelayMs: 500, maxDelayMs: 30000, timeoutMs: 10000, concurrency: 4 };

function number(raw: unknown, fallback: number, field: string, min: number, label: string): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new CrmConfigError(field, `${label} must be a number of at least ${min}`);
  return n;
}

/** Validates the dialog's values; errors name the field and never quote a credential. */
export function accountSettings(raw: Record<string, unknown>, credentials: AccountCredentials): AccountSettings {
  const system = String(raw.system ?? '') as CrmSystem;
  if (!CRM_SYSTEMS.includes(system)) throw new CrmConfigError('system', 'choose HubSpot, Salesforce, Pipedrive or HTTP API');
  if (!credentials.token || !credentials.token.trim()) throw new CrmConfigError('token', 'paste the API token of this account');
  let baseUrl = String(raw.baseUrl ?? '').trim() || DEFAULT_BASE_URLS[system];
  if (system === 'salesforce') baseUrl = (credentials.instanceUrl ?? '').trim() || baseUrl;
  if (!baseUrl) throw new CrmConfigError(system === 'salesforce' ? 'instanceUrl' : 'baseUrl', system === 'salesforce' ? 'enter the Salesforce instance URL' : 'enter the base URL of the API');
  try {
    const url = new URL(baseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
  } catch {
    throw new CrmConfigError(system === 'salesforce' && credentials.instanceUrl ? 'instanceUrl' : 'baseUrl', 'the URL must start with https:// (or http:// for a local test server)');
  }
  if (system === 'http' && credentials.headerName && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(credentials.headerName.trim())) {
    throw new CrmConfigError('headerName', 'the header name is not a valid HTTP header name');
  }
  const apiVersion = String(raw.apiVersion ?? '').trim() || ACCOUNT_DEFAULTS.apiVersion;
  if (!/^v\d+\.\d+$/.test(apiVersion)) throw new CrmConfigError('apiVersion', 'the API version looks like v60.0');
  const minDelayMs = number(raw.minDelay, ACCOUNT_DEFAULTS.minDelayMs, 'minDelay', 0, 'The first retry delay');
  const maxDelayMs = number(raw.maxDelay, ACCOUNT_DEFAULTS.maxDelayMs, 'maxDelay', 0, 'The longest retry delay');
  if (maxDelayMs < minDelayMs) throw new CrmConfigError('maxDelay', 'the longest retry delay must not be shorter than the first');
  return {
    system,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    apiVersion,
    maxAttempts: Math.floor(number(raw.maxAttempts, ACCOUNT_DEFAULTS.maxAttempts, 'maxAttempts', 1, 'Attempts')),
    minDelayMs,
    maxDelayMs,
    timeoutMs: number(raw.timeout, ACCOUNT_DEFAULTS.timeoutMs, 'timeout', 100, 'The timeout'),
    concurrency: Math.floor(number(raw.concurrency, ACCOUNT_DEFAULTS.concurrency, 'concurrency', 1, 'Parallel requests')),
  };
}
