import { Agent, request } from 'undici';
import { CrmError, crmReason, scrub } from './errors';
import type { AccountSettings } from './settings';

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
  const base = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
  return Math.round(base / 2 + (base / 2) * random());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One account's HTTP client: a kept-alive undici pool, a cap on requests in flight, and retries.
 * undici's RetryAgent would hide how many attempts a request took and drop the CRM's final answer, which the
 * node must report; so the retry loop is ours and undici does the connections, keep-alive and timeouts.
 */
export class CrmHttp {
  private readonly agent: Agent;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  /** Called before a retry is slept on, so the node can show it. */
  onRetry?: (info: { attempt: number; delayMs: number; status?: number }) => void;

  constructor(
    private readonly settings: AccountSettings,
    private readonly authHeaders: Record<string, string>,
    private readonly authQuery: Record<string, string>,
    private readonly secrets: string[],
  ) {
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: settings.concurrency, headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs });
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

  private url(spec: CrmRequest): URL {
    const url = /^https?:\/\//.test(spec.path) ? new URL(spec.path) : new URL(this.settings.baseUrl + spec.path);
    for (const [k, v] of Object.entries({ ...spec.query, ...this.authQuery })) url.searchParams.set(k, v);
    return url;
  }

  private async once(spec: CrmRequest): Promise<CrmResponse> {
    await this.acquire();
    try {
      const res = await request(this.url(spec), {
        method: spec.method,
        dispatcher: this.agent,
        headers: { accept: 'application/json', ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}), ...this.authHeaders },
        body: spec.body !== undefined ? JSON.stringify(spec.body) : undefined,
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      const text = await res.body.text();
      let body: unknown;
      try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
      return { status: res.statusCode, headers: res.headers, body, text };
    } finally {
      this.release();
    }
  }

  /**
   * Sends with retries on 429, 502, 503, 504 and network errors, honouring Retry-After; any other answer,
   * 4xx included, is returned for the caller to judge. Throws CrmError once the attempts are spent.
   */
  async send(spec: CrmRequest): Promise<CrmResponse & { attempts: number }> {
    const { maxAttempts, minDelayMs, maxDelayMs } = this.settings;
    for (let attempt = 1; ; attempt++) {
      let response: CrmResponse | undefined;
      let failure: string | undefined;
      try {
        response = await this.once(spec);
        if (!RETRY_STATUSES.has(response.status)) return { ...response, attempts: attempt };
      } catch (err) {
        const e = err as { code?: string; name?: string; message?: string };
        failure = e.name === 'TimeoutError' || /Timeout/.test(e.code ?? '') ? `no answer within ${this.settings.timeoutMs} ms` : `${e.code ?? e.name ?? 'network error'}`;
      }
      if (attempt >= maxAttempts) {
        if (response) {
          const reason = scrub(crmReason(response.body, response.text) ?? '', this.secrets) || undefined;
          throw new CrmError(`the CRM answered ${response.status} after ${attempt} attempts`, response.status, reason, attempt);
        }
        throw new CrmError(`the CRM could not be reached after ${attempt} attempts: ${scrub(failure ?? '', this.secrets)}`, undefined, undefined, attempt);
      }
      const retryAfter = response ? parseRetryAfter(response.headers['retry-after']) : undefined;
      const delayMs = retryAfter !== undefined ? Math.min(RETRY_AFTER_CAP_MS, retryAfter) : backoffDelay(attempt, minDelayMs, maxDelayMs);
      this.onRetry?.({ attempt, delayMs, status: response?.status });
      await sleep(delayMs);
    }
  }

  /** Throws a CrmError with the CRM's reason for an answer that is not a success. */
  fail(response: CrmResponse & { attempts: number }, what: string): never {
    const reason = scrub(crmReason(response.body, response.text) ?? '', this.secrets) || undefined;
    throw new CrmError(`the CRM refused to ${what} (${response.status}${reason ? `: ${reason}` : ''})`, response.status, reason, response.attempts);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
