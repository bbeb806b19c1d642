import { createPrivateKey } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { CrmAuthRefusedError, crmReason, cut, scrub } from './errors';
import { SECRET_CREDENTIALS, type AccountCredentials, type AccountSettings } from './settings';

/**
 * jose signs the JWT bearer assertion (RS256). It is published as an ES module only; a real import() (which tsc would
 * turn into require() for CommonJS output) loads it on every Node version we support, and only when a JWT is needed.
 */
const loadJose = new Function('specifier', 'return import(specifier)').bind(null, 'jose') as () => Promise<
  typeof import('jose')
>;

/** A token ready to send, and what the token answer said about where the API is. */
export interface AccessToken {
  value: string;
  /** Epoch ms after which the token is no longer sent; undefined when the CRM did not say (Salesforce). */
  expiresAt?: number;
  /** The API's base URL named by the token answer: Salesforce instance_url, Zoho and Pipedrive api_domain. */
  apiBaseUrl?: string;
}

/** A token request that failed for a reason that may pass (network, 5xx, 429): the send loop retries it. */
export class TokenUnavailableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TokenUnavailableError';
  }
}

/** Renew this long before the CRM's expiry, but never more than a tenth of a short token's life. */
export const RENEW_BEFORE_MS = 60_000;
/** A JWT bearer assertion lives this long: Salesforce accepts up to 3 minutes. */
const JWT_ASSERTION_LIFE_S = 180;

/** How a token is carried on a request: a bearer header, Zoho's own scheme, Pipedrive's query parameter, a named header. */
export function authorisation(
  settings: AccountSettings,
  token: string,
  headerName?: string,
): { headers: Record<string, string>; query: Record<string, string> } {
  if (settings.system === 'pipedrive' && settings.auth === 'token') return { headers: {}, query: { api_token: token } };
  if (settings.system === 'zoho') return { headers: { authorization: `Zoho-oauthtoken ${token}` }, query: {} };
  if (settings.system === 'http' && settings.auth === 'token' && headerName?.trim())
    return { headers: { [headerName.trim().toLowerCase()]: token }, query: {} };
  return { headers: { authorization: `Bearer ${token}` }, query: {} };
}

/**
 * Whether a 401 means "this access token has expired or was revoked", so a fresh one is worth fetching:
 * Salesforce INVALID_SESSION_ID, HubSpot EXPIRED_AUTHENTICATION, Zoho INVALID_TOKEN, any 401 from Pipedrive or an
 * HTTP API. A 401 for a missing scope (Zoho OAUTH_SCOPE_MISMATCH) is not: a new token would be refused the same way.
 */
export function isExpiredTokenAnswer(settings: AccountSettings, status: number, body: unknown, text: string): boolean {
  if (status !== 401 || settings.auth === 'token') return false;
  const o = (Array.isArray(body) ? body[0] : body) as Record<string, unknown> | undefined;
  switch (settings.system) {
    case 'salesforce':
      return o?.errorCode === 'INVALID_SESSION_ID' || /INVALID_SESSION_ID/.test(text);
    case 'hubspot':
      return (
        o?.category === 'EXPIRED_AUTHENTICATION' ||
        /expired/i.test(String(o?.message ?? text)) ||
        o?.category === 'INVALID_AUTHENTICATION'
      );
    case 'zoho':
      return o?.code === 'INVALID_TOKEN' || o?.code === 'AUTHENTICATION_FAILURE';
    default:
      return true;
  }
}

/**
 * One account's access token: fetched when first needed, cached in memory, renewed shortly before it expires and
 * at once when the CRM says it expired; one refresh at a time however many requests wait for it. A refused
 * refresh stops the account with the CRM's reason until the node is redeployed with other credentials.
 */
export class TokenProvider {
  private current?: AccessToken;
  private pending?: Promise<AccessToken>;
  private refusal?: string;
  /** Tokens this account has held: scrubbed from every CRM answer, even after they were replaced. */
  private readonly issued: string[] = [];
  private readonly refusedListeners = new Set<(reason: string) => void>();
  private refreshToken?: string;

  constructor(
    private readonly settings: AccountSettings,
    private readonly credentials: AccountCredentials,
    private readonly dispatcher?: Dispatcher,
    private readonly now: () => number = Date.now,
  ) {
    this.refreshToken = credentials.refreshToken?.trim();
    if (settings.auth === 'token') this.current = { value: (credentials.token ?? '').trim() };
  }

  /** Every secret of this account, for scrubbing: credentials and every access token it was given. */
  secrets(): string[] {
    const list = SECRET_CREDENTIALS.map((k) => this.credentials[k]?.trim()).filter((v): v is string => Boolean(v));
    if (this.refreshToken) list.push(this.refreshToken);
    return [...list, ...this.issued];
  }

  /** Why the CRM refused this account's credentials, if it did. */
  get refusedReason(): string | undefined {
    return this.refusal;
  }

  /** Calls `listener` when the CRM refuses the credentials; returns the function that stops it. Per node, never a shared slot. */
  onRefused(listener: (reason: string) => void): () => void {
    this.refusedListeners.add(listener);
    return () => this.refusedListeners.delete(listener);
  }

  /** Whether the token may expire and be renewed; a pasted token is sent as it is. */
  get renewable(): boolean {
    return this.settings.auth !== 'token';
  }

  /** A token that is valid now, fetching or renewing it if needed. */
  async get(): Promise<AccessToken> {
    if (this.refusal) throw new CrmAuthRefusedError(this.refusal);
    const token = this.current;
    if (token && (token.expiresAt === undefined || this.now() < token.expiresAt)) return token;
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The CRM said `value` expired: the next get() fetches a new one, unless another request already did. */
  invalidate(value: string): void {
    if (this.current?.value === value && this.renewable) this.current = { ...this.current, expiresAt: 0 };
  }

  private async fetch(): Promise<AccessToken> {
    const { settings } = this;
    const form = await this.grant();
    const url = settings.system === 'http' ? settings.loginUrl : settings.loginUrl + this.tokenPath();
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    };
    // Pipedrive takes the client's id and secret as HTTP Basic authentication, not in the form.
    if (settings.system === 'pipedrive') {
      headers.authorization = `Basic ${Buffer.from(`${this.credentials.clientId?.trim()}:${this.credentials.clientSecret?.trim()}`).toString('base64')}`;
      form.delete('client_id');
      form.delete('client_secret');
    }
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body: form.toString(),
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const e = err as { code?: string; name?: string };
      throw new TokenUnavailableError(
        `the token server could not be reached: ${e.name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : (e.code ?? e.name ?? 'network error')}`,
      );
    }
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const accessToken = typeof body?.access_token === 'string' ? body.access_token : undefined;
    if (status >= 200 && status < 300 && accessToken) {
      this.issued.push(accessToken);
      if (this.issued.length > 20) this.issued.shift();
      if (typeof body?.refresh_token === 'string' && body.refresh_token) this.refreshToken = body.refresh_token; // a rotated refresh token replaces the old one
      const lifeMs = Number(body?.expires_in) * 1000;
      const apiBaseUrl = [body?.instance_url, body?.api_domain].find(
        (v): v is string => typeof v === 'string' && /^https?:\/\//.test(v),
      );
      this.current = {
        value: accessToken,
        expiresAt: lifeMs > 0 ? this.now() + lifeMs - Math.min(RENEW_BEFORE_MS, lifeMs / 10) : undefined,
        apiBaseUrl: apiBaseUrl?.replace(/\/+$/, ''),
      };
      return this.current;
    }
    const reason = cut(scrub(crmReason(body, text) ?? `the token server answered ${status}`, this.secrets()), 300);
    // A refusal is a 4xx (invalid_grant, invalid_client, …), or Zoho's 200 with {"error": "invalid_code"}; a 408, 429 or
    // 5xx may pass, so the send loop retries it.
    const refused =
      (status >= 400 && status < 500 && status !== 429 && status !== 408) || (status >= 200 && status < 300);
    if (!refused) throw new TokenUnavailableError(`the token server answered ${status}: ${reason}`, status);
    this.refuse(reason);
  }

  /** Stops the account: every request and every node on it learns the reason, until a redeploy builds a new provider. */
  private refuse(reason: string): never {
    this.refusal = reason;
    this.current = undefined;
    for (const listener of this.refusedListeners) listener(reason);
    throw new CrmAuthRefusedError(reason);
  }

  private tokenPath(): string {
    switch (this.settings.system) {
      case 'salesforce':
        return '/services/oauth2/token';
      case 'hubspot':
        return '/oauth/v1/token';
      case 'pipedrive':
        return '/oauth/token';
      case 'zoho':
        return '/oauth/v2/token';
      default:
        return '';
    }
  }

  private async grant(): Promise<URLSearchParams> {
    const c = this.credentials;
    const clientId = c.clientId?.trim() ?? '';
    switch (this.settings.auth) {
      case 'client-credentials':
        return new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: c.clientSecret?.trim() ?? '',
        });
      case 'refresh-token':
        return new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: clientId,
          client_secret: c.clientSecret?.trim() ?? '',
          refresh_token: this.refreshToken ?? '',
        });
      case 'jwt':
        return new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion: await this.jwtAssertion(),
        });
      default:
        throw new Error('a pasted token is never fetched');
    }
  }

  /** Salesforce's OAuth 2.0 JWT bearer flow: iss the consumer key, sub the user, aud the login URL, signed RS256. */
  private async jwtAssertion(): Promise<string> {
    let key;
    try {
      key = createPrivateKey(normalisePem(this.credentials.privateKey ?? ''));
    } catch {
      // A key that cannot be read is a refusal of its own: it will not become readable by retrying.
      this.refuse('the private key is not a PEM RSA private key');
    }
    const { SignJWT } = await loadJose();
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(this.credentials.clientId!.trim())
      .setSubject(this.credentials.username!.trim())
      .setAudience(jwtAudience(this.settings.loginUrl))
      .setExpirationTime(Math.floor(this.now() / 1000) + JWT_ASSERTION_LIFE_S)
      .sign(key);
  }
}

/**
 * The JWT's audience is Salesforce's login server, not the My Domain URL the token request may be posted to:
 * login.salesforce.com for production, test.salesforce.com for a sandbox My Domain (…--name.sandbox.my.salesforce.com).
 */
export function jwtAudience(loginUrl: string): string {
  const host = new URL(loginUrl).hostname;
  if (host.endsWith('.my.salesforce.com'))
    return host.includes('.sandbox.') ? 'https://test.salesforce.com' : 'https://login.salesforce.com';
  return loginUrl.replace(/\/+$/, '');
}

/**
 * A PEM pasted into a one-line password field loses its line breaks; this puts them back so the key can be read.
 * PKCS#8 ("PRIVATE KEY") and PKCS#1 ("RSA PRIVATE KEY", what openssl genrsa writes) are both accepted.
 */
export function normalisePem(pem: string): string {
  const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(pem.trim());
  if (!match) return pem.trim();
  const body = match[2].replace(/\s+/g, '');
  return `-----BEGIN ${match[1]}-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${match[1]}-----\n`;
}
