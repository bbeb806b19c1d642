import { createPrivateKey } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { undiciLibrary } from '../shared/libraries';
import { AnswerTooLargeError, MAX_ANSWER_BYTES, mediaType, readAnswer } from './answer';
import { CrmAuthRefusedError, crmReason, cut, sayInEnglish, scrub, shownUrl, whatHappened, type Say } from './errors';
import { SECRET_CREDENTIALS, type AccountCredentials, type AccountSettings } from './settings';
import { getCrmSystem } from './systems';

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

/** What an account is told besides its settings and credentials. */
export interface TokenOptions {
  /** Texts of errors (RED._ in a node); English from the catalog by default. */
  say?: Say;
  /** The refresh token to start from instead of the deployed one: one this account rotated to since it was deployed. */
  refreshToken?: string;
  /** Called when the token server rotates the refresh token: the caller persists it, or a restart sends a revoked one. */
  onRefreshTokenRotated?: (refreshToken: string) => void;
}

/** Fresh tokens refused in a row by the CRM (a 401 right after a refresh) before the account stops instead of refreshing on. */
export const FRESH_TOKEN_REFUSALS_TO_STOP = 3;

/** The fixed half of the retry delay before `attempt`: exponential between the account's first and longest delays. */
export function backoffBase(attempt: number, minDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
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
 * Whether a 401 means "this access token has expired or was revoked", so a fresh one is worth fetching: each CRM
 * says it its own way (its system module knows how). A 401 for a missing scope is not: a new token would fail too.
 */
export function isExpiredTokenAnswer(settings: AccountSettings, status: number, body: unknown, text: string): boolean {
  if (status !== 401 || settings.auth === 'token') return false;
  return getCrmSystem(settings.system).isTokenExpired(status, body, text);
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
  /** Refresh tokens replaced by rotation: still scrubbed, a server may quote them. */
  private readonly retired: string[] = [];
  private readonly refusedListeners = new Set<(reason: string) => void>();
  private refreshToken?: string;
  /** Transient token failures in a row, and until when the next fetch waits: one back-off for all waiting leads. */
  private failuresInARow = 0;
  private unavailable?: { until: number; error: TokenUnavailableError };
  /** Fresh tokens the CRM answered 401 to with no success in between (a missing scope, an uninstalled app). */
  private readonly refusedFresh = new Set<string>();
  private readonly say: Say;

  constructor(
    private readonly settings: AccountSettings,
    private readonly credentials: AccountCredentials,
    private readonly dispatcher?: Dispatcher,
    private readonly now: () => number = Date.now,
    private readonly options: TokenOptions = {},
  ) {
    this.say = options.say ?? sayInEnglish;
    this.refreshToken = options.refreshToken?.trim() || credentials.refreshToken?.trim();
    if (settings.auth === 'token') this.current = { value: (credentials.token ?? '').trim() };
  }

  /** Every secret of this account, for scrubbing: credentials, id:secret as HTTP Basic carries it, every token it was given. */
  secrets(): string[] {
    const list = SECRET_CREDENTIALS.map((k) => this.credentials[k]?.trim()).filter((v): v is string => Boolean(v));
    if (this.refreshToken) list.push(this.refreshToken);
    const { clientId, clientSecret } = this.credentials;
    if (clientId?.trim() && clientSecret?.trim()) list.push(`${clientId.trim()}:${clientSecret.trim()}`);
    return [...list, ...this.issued, ...this.retired];
  }

  /** The refresh token this account sends now (the deployed one, or the one it was rotated to). */
  get currentRefreshToken(): string | undefined {
    return this.refreshToken;
  }

  /** Another client of the same account (Test connection) rotated the refresh token: send the new one from now on. */
  adoptRefreshToken(refreshToken: string): void {
    this.rotateTo(refreshToken);
  }

  private rotateTo(refreshToken: string): void {
    if (!refreshToken || refreshToken === this.refreshToken) return;
    // The replaced token stays a secret to scrub: a server may still quote it.
    if (this.refreshToken) this.retired.push(this.refreshToken);
    if (this.retired.length > 20) this.retired.shift();
    this.refreshToken = refreshToken;
    this.options.onRefreshTokenRotated?.(refreshToken);
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
    // A token server that just failed is not asked again before its back-off: leads waiting meanwhile hear the same failure.
    if (this.unavailable && this.now() < this.unavailable.until) throw this.unavailable.error;
    this.pending ??= this.fetch().then(
      (fresh) => {
        this.pending = undefined;
        this.failuresInARow = 0;
        this.unavailable = undefined;
        return fresh;
      },
      (err: unknown) => {
        this.pending = undefined;
        if (err instanceof TokenUnavailableError) {
          this.failuresInARow++;
          // The fixed half of the senders' jittered delay: a lead that waited its back-off always finds the way open.
          const holdMs = backoffBase(this.failuresInARow, this.settings.minDelayMs, this.settings.maxDelayMs) / 2;
          this.unavailable = { until: this.now() + holdMs, error: err };
        }
        throw err;
      },
    );
    return this.pending;
  }

  /** The CRM said `value` expired: the next get() fetches a new one, unless another request already did. */
  invalidate(value: string): void {
    if (this.current?.value === value && this.renewable) this.current = { ...this.current, expiresAt: 0 };
  }

  /** The CRM took a request with `value`: a fresh token that works clears the count of refused ones. */
  accepted(value: string): void {
    if (this.refusedFresh.size && !this.refusedFresh.has(value)) this.refusedFresh.clear();
  }

  /**
   * The CRM answered 401 to a token fetched just now. Refreshing again for each lead would only repeat it: after
   * FRESH_TOKEN_REFUSALS_TO_STOP different fresh tokens refused in a row, the account stops with the reason.
   */
  freshTokenRefused(value: string, status: number, crmReason: string | undefined): void {
    this.refusedFresh.add(value);
    if (this.refusedFresh.size < FRESH_TOKEN_REFUSALS_TO_STOP) return;
    this.refuse(
      this.say('fresh-token-refused', {
        count: this.refusedFresh.size,
        answer: crmReason ? `${status}: ${crmReason}` : String(status),
      }),
    );
  }

  private async fetch(): Promise<AccessToken> {
    const { settings } = this;
    const form = await this.grant();
    const endpoint = getCrmSystem(settings.system);
    const url = settings.loginUrl + endpoint.tokenPath;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    };
    if (endpoint.clientAuthentication === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${this.credentials.clientId?.trim()}:${this.credentials.clientSecret?.trim()}`).toString('base64')}`;
      form.delete('client_id');
      form.delete('client_secret');
    }
    let status: number;
    let text: string;
    let type: string;
    const shown = shownUrl(url);
    try {
      const res = await undiciLibrary().request(url, {
        method: 'POST',
        headers,
        body: form.toString(),
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      status = res.statusCode;
      type = mediaType(res.headers);
      text = await readAnswer(res);
    } catch (err) {
      if (err instanceof AnswerTooLargeError)
        throw new TokenUnavailableError(this.say('too-large', { url: shown, mib: MAX_ANSWER_BYTES / 2 ** 20 }));
      throw new TokenUnavailableError(
        this.say('unreachable', { url: shown, what: whatHappened(err, settings.timeoutMs, this.say) }),
      );
    }
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = text ? JSON.parse(text) : undefined;
      body =
        parsed && typeof parsed === 'object' && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : undefined;
    } catch {
      body = undefined;
    }
    const accessToken = typeof body?.access_token === 'string' ? body.access_token : undefined;
    if (status >= 200 && status < 300 && accessToken) {
      this.issued.push(accessToken);
      if (this.issued.length > 20) this.issued.shift();
      if (typeof body?.refresh_token === 'string' && body.refresh_token) this.rotateTo(body.refresh_token);
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
    // Only an OAuth server speaking OAuth refuses credentials: a JSON answer, 4xx (not 408/429) or Zoho's 200 with
    // {"error": …}. A proxy's or maintenance page's HTML, an empty or cut answer, a 408, 429 or 5xx may pass: retried.
    if (!body) {
      throw new TokenUnavailableError(
        this.say('token-not-json', { url: shown, status, type: type || this.say('no-type') }),
        status,
      );
    }
    const reason = cut(scrub(crmReason(body, text) ?? `${status}`, this.secrets()), 300);
    const oauthRefusal = typeof body.error === 'string' || status >= 400;
    const refused =
      oauthRefusal && ((status >= 400 && status < 500 && status !== 429 && status !== 408) || status < 300);
    if (!refused) throw new TokenUnavailableError(this.say('token-answered', { url: shown, status, reason }), status);
    this.refuse(reason);
  }

  /** Stops the account: every request and every node on it learns the reason, until a redeploy builds a new provider. */
  private refuse(reason: string): never {
    this.refusal = reason;
    this.current = undefined;
    for (const listener of this.refusedListeners) listener(reason);
    throw new CrmAuthRefusedError(reason);
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
