import { CRM_SYSTEM_IDS, getCrmSystem, listCrmSystems, ZOHO_ACCOUNTS_SERVERS, type CrmSystemId } from './systems';

export { ZOHO_ACCOUNTS_SERVERS };
export const CRM_SYSTEMS = CRM_SYSTEM_IDS;

/** How an account obtains the token it sends: pasted as is, or from the CRM's OAuth 2.0 token endpoint. */
export const CRM_AUTHS = ['token', 'client-credentials', 'jwt', 'refresh-token'] as const;
export type CrmAuth = (typeof CRM_AUTHS)[number];

const bySystem = <T>(pick: (id: CrmSystemId) => T) =>
  Object.fromEntries(listCrmSystems().map((s) => [s.id, pick(s.id)])) as Record<CrmSystemId, T>;

/** The ways each system can authenticate, the first being the default when a saved account names none. */
export const AUTHS_BY_SYSTEM = bySystem((id) => getCrmSystem(id).auths);

/** Where each system's OAuth token endpoint lives when `loginUrl` is empty (Zoho: from the data centre). */
export const DEFAULT_LOGIN_URLS = bySystem((id) => getCrmSystem(id).defaultLoginUrl);

/** What the sales-crm-account dialog stores, besides credentials. */
export interface AccountSettings {
  system: CrmSystemId;
  auth: CrmAuth;
  /** Where the API lives. Empty means the system's public API, or the one the token answer names. */
  baseUrl: string;
  /** True when the user named the API URL: it then wins over the URL a token answer names (a sandbox, an emulator). */
  baseUrlFromUser: boolean;
  /** The OAuth server: Salesforce login or My Domain URL, Zoho accounts server, or (http) the full token URL. */
  loginUrl: string;
  /** Zoho data centre, e.g. com, eu, in. */
  dataCenter: string;
  /** The API version its paths use: Salesforce v68.0, HubSpot 2026-09; '' for a system whose version is fixed. */
  apiVersion: string;
  /** How long the first lead of a batch waits for others (ms); 0 sends at once. */
  batchWindowMs: number;
  /** Requests per the CRM's interval this account may make (its plan's limit); 0 for the CRM's documented default. */
  rateLimit: number;
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
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Salesforce JWT bearer flow: the PEM private key whose certificate is uploaded to the connected app. */
  privateKey?: string;
  /** Salesforce JWT bearer flow: the user the token is issued for. */
  username?: string;
}

/** Credential fields that are secrets: never shown, logged or sent back to the browser. */
export const SECRET_CREDENTIALS = ['token', 'clientSecret', 'refreshToken', 'privateKey'] as const;

/** Every credential field of an account, as Node-RED registers it (secrets as passwords), for the node and dialog. */
export const ACCOUNT_CREDENTIALS = Object.fromEntries(
  (
    [
      'token',
      'instanceUrl',
      'headerName',
      'clientId',
      'clientSecret',
      'refreshToken',
      'privateKey',
      'username',
    ] as const
  ).map((field) => [field, { type: (SECRET_CREDENTIALS as readonly string[]).includes(field) ? 'password' : 'text' }]),
) as Record<keyof AccountCredentials, { type: 'password' | 'text' }>;

export class CrmConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'CrmConfigError';
  }
}

export const DEFAULT_BASE_URLS = bySystem((id) => getCrmSystem(id).defaultBaseUrl);

/** The API version of each system when the account names none ('' for a system whose version is not chosen). */
export const DEFAULT_API_VERSIONS = bySystem((id) => getCrmSystem(id).defaultApiVersion);

export const ACCOUNT_DEFAULTS = {
  /** Empty: the system's current version (DEFAULT_API_VERSIONS). */
  apiVersion: '',
  /** Leads for one account arriving within this window go in one call, up to the CRM's batch size. */
  batchWindowMs: 250,
  /** Requests per the CRM's interval; 0 means the CRM's documented default (HubSpot: 100 per 10 s). */
  rateLimit: 0,
  maxAttempts: 5,
  minDelayMs: 500,
  maxDelayMs: 30000,
  timeoutMs: 10000,
  concurrency: 4,
  dataCenter: 'com',
};

function number(raw: unknown, fallback: number, field: string, min: number, label: string): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new CrmConfigError(field, `${label} must be a number of at least ${min}`);
  return n;
}

function checkUrl(value: string, field: string): void {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
  } catch {
    throw new CrmConfigError(field, 'the URL must start with https:// (or http:// for a local test server)');
  }
}

const filled = (value: string | undefined) => Boolean(value && value.trim());

/** A saved account without `auth` predates OAuth: it used a pasted token (Zoho never did, and only has one way). */
export function authOf(system: CrmSystemId, raw: unknown): CrmAuth {
  const auth = String(raw ?? '').trim();
  return (auth || AUTHS_BY_SYSTEM[system][0]) as CrmAuth;
}

/** Validates the dialog's values; errors name the field and never quote a credential. */
export function accountSettings(raw: Record<string, unknown>, credentials: AccountCredentials): AccountSettings {
  const system = String(raw.system ?? '') as CrmSystemId;
  if (!CRM_SYSTEMS.includes(system))
    throw new CrmConfigError('system', 'choose HubSpot, Salesforce, Pipedrive, Zoho CRM or HTTP API');
  const auth = authOf(system, raw.auth);
  if (!AUTHS_BY_SYSTEM[system].includes(auth))
    throw new CrmConfigError('auth', `this CRM authenticates with ${AUTHS_BY_SYSTEM[system].join(', ')}`);
  const need = (field: keyof AccountCredentials, message: string) => {
    if (!filled(credentials[field])) throw new CrmConfigError(field, message);
  };
  if (auth === 'token') need('token', 'paste the API token of this account');
  if (auth !== 'token') need('clientId', 'enter the client id (consumer key) of the app');
  if (auth === 'client-credentials' || auth === 'refresh-token')
    need('clientSecret', 'paste the client secret (consumer secret) of the app');
  if (auth === 'refresh-token') need('refreshToken', 'paste the refresh token');
  if (auth === 'jwt') {
    need('username', 'enter the Salesforce user name the token is issued for');
    need('privateKey', 'paste the private key (PEM) whose certificate is uploaded to the app');
  }

  const dataCenter = String(raw.dataCenter ?? '').trim() || ACCOUNT_DEFAULTS.dataCenter;
  if (system === 'zoho' && !ZOHO_ACCOUNTS_SERVERS[dataCenter])
    throw new CrmConfigError(
      'dataCenter',
      `choose a Zoho data centre: ${Object.keys(ZOHO_ACCOUNTS_SERVERS).join(', ')}`,
    );
  let loginUrl =
    String(raw.loginUrl ?? '').trim() ||
    (system === 'zoho' ? ZOHO_ACCOUNTS_SERVERS[dataCenter] : DEFAULT_LOGIN_URLS[system]);
  if (auth !== 'token') {
    if (!loginUrl) throw new CrmConfigError('loginUrl', 'enter the token URL of the OAuth server');
    // Salesforce's client credentials flow only works on the org's My Domain URL, not on login.salesforce.com.
    if (system === 'salesforce' && auth === 'client-credentials' && !String(raw.loginUrl ?? '').trim()) {
      throw new CrmConfigError(
        'loginUrl',
        'enter your My Domain URL (Setup → My Domain), e.g. https://acme.my.salesforce.com',
      );
    }
    checkUrl(loginUrl, 'loginUrl');
    loginUrl = loginUrl.replace(/\/+$/, '');
  }

  const userBaseUrl = String(raw.baseUrl ?? '').trim();
  // Only a pasted token needs the instance typed (the dialog hides the field otherwise; a stale hidden value must not win).
  const instanceUrl = system === 'salesforce' && auth === 'token' ? (credentials.instanceUrl ?? '').trim() : '';
  const baseUrl = instanceUrl || userBaseUrl || DEFAULT_BASE_URLS[system];
  // With OAuth, Salesforce names the instance in its token answer; only a pasted token needs it typed.
  if (!baseUrl && !(system === 'salesforce' && auth !== 'token')) {
    throw new CrmConfigError(
      system === 'salesforce' ? 'instanceUrl' : 'baseUrl',
      system === 'salesforce' ? 'enter the Salesforce instance URL' : 'enter the base URL of the API',
    );
  }
  if (baseUrl) checkUrl(baseUrl, instanceUrl ? 'instanceUrl' : 'baseUrl');
  if (
    system === 'http' &&
    credentials.headerName &&
    !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(credentials.headerName.trim())
  ) {
    throw new CrmConfigError('headerName', 'the header name is not a valid HTTP header name');
  }
  const crm = getCrmSystem(system);
  const apiVersion = crm.apiVersionPattern ? String(raw.apiVersion ?? '').trim() || crm.defaultApiVersion : '';
  if (crm.apiVersionPattern && !crm.apiVersionPattern.test(apiVersion))
    throw new CrmConfigError('apiVersion', `the ${crm.label} API version looks like ${crm.apiVersionExample}`);
  const minDelayMs = number(raw.minDelay, ACCOUNT_DEFAULTS.minDelayMs, 'minDelay', 0, 'The first retry delay');
  const maxDelayMs = number(raw.maxDelay, ACCOUNT_DEFAULTS.maxDelayMs, 'maxDelay', 0, 'The longest retry delay');
  if (maxDelayMs < minDelayMs)
    throw new CrmConfigError('maxDelay', 'the longest retry delay must not be shorter than the first');
  return {
    system,
    auth,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    baseUrlFromUser: Boolean(userBaseUrl || instanceUrl),
    loginUrl: auth === 'token' ? '' : loginUrl,
    dataCenter: system === 'zoho' ? dataCenter : '',
    apiVersion,
    maxAttempts: Math.floor(number(raw.maxAttempts, ACCOUNT_DEFAULTS.maxAttempts, 'maxAttempts', 1, 'Attempts')),
    minDelayMs,
    maxDelayMs,
    timeoutMs: number(raw.timeout, ACCOUNT_DEFAULTS.timeoutMs, 'timeout', 100, 'The timeout'),
    concurrency: Math.floor(
      number(raw.concurrency, ACCOUNT_DEFAULTS.concurrency, 'concurrency', 1, 'Parallel requests'),
    ),
    batchWindowMs: number(raw.batchWindow, ACCOUNT_DEFAULTS.batchWindowMs, 'batchWindow', 0, 'The batch window'),
    rateLimit: Math.floor(number(raw.rateLimit, ACCOUNT_DEFAULTS.rateLimit, 'rateLimit', 0, 'The request limit')),
  };
}
