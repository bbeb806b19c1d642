import type { Agent } from 'undici';
import { undiciLibrary } from '../shared/libraries';
import { AnswerTooLargeError, MAX_ANSWER_BYTES, readAnswer } from './answer';
import {
  authorisation,
  backoffBase,
  isExpiredTokenAnswer,
  TokenProvider,
  TokenUnavailableError,
  type TokenOptions,
} from './auth';
import {
  CrmAuthRefusedError,
  CrmError,
  safeReason,
  sayInEnglish,
  scrub,
  shownUrl,
  whatHappened,
  type Say,
} from './errors';
import type { AccountCredentials, AccountSettings } from './settings';
import { boundedText, CRM_CALL_LIMITS, type CrmCallRecord } from './calls';
import { salesWebhookMetrics } from '../metrics/metrics';
import { sleepUntil } from '../shared/clock';

export interface CrmResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

export interface CrmRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** A path under the account's base URL, or an absolute URL. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

/** What one caller (one sales-crm out node) wants to hear about its own requests. */
export interface SendHooks {
  /** Called before a retry is slept on, so the node can show it. */
  onRetry?: (info: { attempt: number; delayMs: number; status?: number }) => void;
  /** Called once per request made (a token's refresh resend included), scrubbed and bounded, for the delivery log. */
  onCall?: (call: CrmCallRecord) => void;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
/** A Retry-After is waited as told, up to this; a CRM asking for hours would otherwise hold the lead silently. */
export const RETRY_AFTER_CAP_MS = 120_000;

/** Seconds or an HTTP date, as milliseconds from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text.trim()) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential back-off with jitter: half fixed, half random, so a burst of failed leads does not retry in lockstep. */
export function backoffDelay(attempt: number, minDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const base = backoffBase(attempt, minDelayMs, maxDelayMs);
  return Math.round(base / 2 + (base / 2) * random());
}

/**
 * One account's HTTP client: a kept-alive undici pool, a cap on requests in flight, the account's token, and retries.
 * undici's RetryAgent would hide how many attempts a request took and drop the CRM's final answer, which the
 * node must report; so the retry loop is ours and undici does the connections, keep-alive and timeouts.
 */
export class CrmHttp {
  private readonly agent: Agent;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  readonly tokens: TokenProvider;
  private readonly say: Say;

  constructor(
    readonly settings: AccountSettings,
    private readonly credentials: AccountCredentials,
    options: TokenOptions = {},
  ) {
    this.say = options.say ?? sayInEnglish;
    this.agent = new (undiciLibrary().Agent)({
      keepAliveTimeout: 30_000,
      connections: settings.concurrency,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
    });
    this.tokens = new TokenProvider(settings, credentials, this.agent, Date.now, options);
  }

  /** Every secret this account knows, for scrubbing anything that came from outside. */
  secrets(): string[] {
    return this.tokens.secrets();
  }

  private async acquire(): Promise<void> {
    if (this.inFlight < this.settings.concurrency) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }

  /** The API's base URL: the one the user named, else the one the token answer named, else the system's public API. */
  baseUrl(apiBaseUrl?: string): string {
    return this.settings.baseUrlFromUser ? this.settings.baseUrl : apiBaseUrl || this.settings.baseUrl;
  }

  private url(spec: CrmRequest, apiBaseUrl: string | undefined, authQuery: Record<string, string>): URL {
    const url = /^https?:\/\//.test(spec.path) ? new URL(spec.path) : new URL(this.baseUrl(apiBaseUrl) + spec.path);
    for (const [k, v] of Object.entries({ ...spec.query, ...authQuery })) url.searchParams.set(k, v);
    return url;
  }

  /** Where a request goes, as an error may name it (no query: a token may travel there). */
  shownUrl(spec: CrmRequest, apiBaseUrl?: string): string {
    try {
      return shownUrl(this.url(spec, apiBaseUrl, {}));
    } catch {
      return spec.path; // Salesforce's instance is known only once a token answer named it
    }
  }

  private async once(spec: CrmRequest, token: { value: string; apiBaseUrl?: string }): Promise<CrmResponse> {
    const auth = authorisation(this.settings, token.value, this.credentials.headerName);
    await this.acquire();
    try {
      const res = await salesWebhookMetrics.timeCrmRequest(this.settings.system, () =>
        undiciLibrary().request(this.url(spec, token.apiBaseUrl, auth.query), {
          method: spec.method,
          dispatcher: this.agent,
          headers: {
            accept: 'application/json',
            ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...auth.headers,
          },
          body: spec.body !== undefined ? JSON.stringify(spec.body) : undefined,
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        }),
      );
      const text = await readAnswer(res);
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: res.statusCode, headers: res.headers, body, text };
    } finally {
      this.release();
    }
  }

  /**
   * Sends with retries on 429, 502, 503, 504 and network errors, honouring Retry-After; any other answer,
   * 4xx included, is returned for the caller to judge. A 401 that means the token expired fetches a new one and
   * sends again, once per attempt, without counting it as a failed attempt. Throws CrmError once the attempts are
   * spent, CrmAuthRefusedError when the CRM refuses the account's credentials.
   */
  async send(spec: CrmRequest, hooks: SendHooks = {}): Promise<CrmResponse & { attempts: number }> {
    const { maxAttempts, minDelayMs, maxDelayMs } = this.settings;
    let where = this.shownUrl(spec);
    // This attempt's requests, told to the caller once it is known whether a retry follows.
    let calls: CrmCallRecord[] = [];
    const tell = (retryAt?: number) => {
      if (retryAt !== undefined && calls.length) calls[calls.length - 1].retryAt = retryAt;
      for (const call of calls) hooks.onCall?.(call);
      calls = [];
    };
    const called = async (token: { value: string; apiBaseUrl?: string }): Promise<CrmResponse> => {
      const at = Date.now();
      const call: CrmCallRecord = {
        at,
        method: spec.method,
        url: where,
        request: boundedText(spec.body, CRM_CALL_LIMITS.requestChars, this.secrets()),
      };
      calls.push(call);
      try {
        const res = await this.once(spec, token);
        Object.assign(call, {
          status: res.status,
          // The parsed answer when it was JSON (compacted, it shows more), else its text.
          answer: boundedText(res.body ?? res.text, CRM_CALL_LIMITS.answerChars, this.secrets()),
        });
        return res;
      } catch (err) {
        call.answer = scrub(
          err instanceof AnswerTooLargeError ? err.message : whatHappened(err, this.settings.timeoutMs, this.say),
          this.secrets(),
        );
        throw err;
      } finally {
        call.ms = Date.now() - at;
      }
    };
    for (let attempt = 1; ; attempt++) {
      let response: CrmResponse | undefined;
      let failure: string | undefined;
      let tokenFailed = false;
      try {
        let token = await this.tokens.get();
        where = this.shownUrl(spec, token.apiBaseUrl);
        response = await called(token);
        if (isExpiredTokenAnswer(this.settings, response.status, response.body, response.text)) {
          this.tokens.invalidate(token.value);
          token = await this.tokens.get();
          response = await called(token);
          // A 401 to the token just fetched: refreshing once per lead would not help; a few in a row stop the account.
          if (isExpiredTokenAnswer(this.settings, response.status, response.body, response.text))
            this.tokens.freshTokenRefused(
              token.value,
              response.status,
              safeReason(response.body, response.text, this.secrets(), 200),
            );
          else this.tokens.accepted(token.value);
        } else this.tokens.accepted(token.value);
        if (!RETRY_STATUSES.has(response.status)) {
          tell();
          return { ...response, attempts: attempt };
        }
      } catch (err) {
        if (err instanceof TokenUnavailableError && !calls.length)
          // No request went: the timeline still says which one could not, and why.
          calls.push({ at: Date.now(), method: spec.method, url: where, answer: scrub(err.message, this.secrets()) });
        if (err instanceof CrmAuthRefusedError) {
          tell();
          throw err;
        }
        // A CRM that answers without end is not asked again: the same request would get the same answer.
        if (err instanceof AnswerTooLargeError) {
          tell();
          throw new CrmError(
            this.say('too-large', { url: where, mib: MAX_ANSWER_BYTES / 2 ** 20 }),
            undefined,
            undefined,
            attempt,
          );
        }
        tokenFailed = err instanceof TokenUnavailableError;
        failure = tokenFailed ? (err as Error).message : whatHappened(err, this.settings.timeoutMs, this.say);
      }
      if (attempt >= maxAttempts) {
        tell();
        if (response) {
          // The CRM's last answer goes into the message, as a refusal's does: the delivery log shows only this text.
          const reason = safeReason(response.body, response.text, this.secrets());
          throw new CrmError(
            this.say('answered-after', {
              status: response.status,
              count: attempt,
              reason: reason ? ` (${reason})` : '',
            }),
            response.status,
            reason,
            attempt,
          );
        }
        const what = scrub(failure ?? '', this.secrets());
        throw new CrmError(
          tokenFailed
            ? this.say('no-token-after', { count: attempt, what })
            : this.say('unreachable-after', { url: where, count: attempt, what }),
          undefined,
          undefined,
          attempt,
        );
      }
      const retryAfter = response ? parseRetryAfter(response.headers['retry-after']) : undefined;
      const delayMs =
        retryAfter !== undefined
          ? Math.min(RETRY_AFTER_CAP_MS, retryAfter)
          : backoffDelay(attempt, minDelayMs, maxDelayMs);
      tell(Date.now() + delayMs);
      hooks.onRetry?.({ attempt, delayMs, status: response?.status });
      // By the wall clock, which the token back-off also uses: a lead that waited its delay finds the way open.
      await sleepUntil(Date.now() + delayMs);
    }
  }

  /** Throws a CrmError with the CRM's reason for an answer that is not a success. */
  fail(response: CrmResponse & { attempts: number }, what: string): never {
    const reason = safeReason(response.body, response.text, this.secrets());
    throw new CrmError(
      `the CRM refused to ${what} (${response.status}${reason ? `: ${reason}` : ''})`,
      response.status,
      reason,
      response.attempts,
    );
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
