import type { RateLimitInfo } from './systems/types';
import { sleep } from '../shared/clock';

/** What an account may send: `requests` per `intervalMs` (undefined: no interval limit known). */
export interface PaceLimit {
  requests?: number;
  intervalMs?: number;
}

/** A daily quota is "nearly spent" below this share of it: the node's status turns yellow and says so. */
export const DAILY_WARNING_SHARE = 0.1;

/**
 * Paces one account's requests to its CRM's limit: at most `requests` in any `intervalMs` (as sent, with a small
 * margin for the CRM's own clock), learning the real limit from the CRM's rate-limit headers, stopping until the
 * interval resets when the CRM says none remain or answers 429. A burst is spread over time instead of met with 429s.
 * Pure timing: no Node-RED, no HTTP.
 */
export class RequestPacer {
  private sent: number[] = [];
  private blockedUntil = 0;
  private dailyLimit?: number;
  private dailyRemaining?: number;

  constructor(
    private limit: PaceLimit,
    private readonly defaultDaily?: number,
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
  ) {}

  /** The limit the pacer keeps now (the account's, or what the CRM's headers said). */
  get current(): PaceLimit {
    return { ...this.limit };
  }

  /** The CRM's interval and a margin, so a request sent just as our window ends is not early by the CRM's clock. */
  private get windowMs(): number {
    const interval = this.limit.intervalMs ?? 0;
    return interval + Math.max(50, interval * 0.02);
  }

  /** How long until one more request may go; 0 when it may go now. */
  delayMs(): number {
    const now = this.now();
    let delay = Math.max(0, this.blockedUntil - now);
    const { requests } = this.limit;
    if (requests && this.limit.intervalMs) {
      this.sent = this.sent.filter((at) => at > now - this.windowMs);
      if (this.sent.length >= requests)
        delay = Math.max(delay, this.sent[this.sent.length - requests] + this.windowMs - now);
    }
    return delay;
  }

  /** Waits until a request may go, without taking it. */
  async slot(): Promise<void> {
    for (let delay = this.delayMs(); delay > 0; delay = this.delayMs()) await this.wait(delay);
  }

  /** Waits until a request may go and counts it as sent. */
  async admit(): Promise<void> {
    await this.slot();
    this.sent.push(this.now());
  }

  /** Learns from an answer: the limit the CRM states, none remaining, a 429 (with the delay it asked for). */
  observe(info: RateLimitInfo, status: number, retryAfterMs?: number): void {
    const now = this.now();
    if (info.limit && info.limit > 0) this.limit = { ...this.limit, requests: info.limit };
    if (info.intervalMs && info.intervalMs > 0) this.limit = { ...this.limit, intervalMs: info.intervalMs };
    if (info.remaining === 0) this.block(now + (info.resetMs ?? this.limit.intervalMs ?? 1000));
    if (status === 429) this.block(now + (retryAfterMs ?? info.resetMs ?? this.limit.intervalMs ?? 1000));
    if (info.dailyLimit !== undefined) this.dailyLimit = info.dailyLimit;
    if (info.dailyRemaining !== undefined) this.dailyRemaining = info.dailyRemaining;
  }

  private block(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }

  /** The daily quota's state when it is nearly spent: what is left of how much; undefined otherwise. */
  dailyWarning(): { remaining: number; limit: number } | undefined {
    const limit = this.dailyLimit ?? this.defaultDaily;
    const remaining = this.dailyRemaining;
    if (limit === undefined || remaining === undefined || limit <= 0) return undefined;
    return remaining < limit * DAILY_WARNING_SHARE ? { remaining, limit } : undefined;
  }
}
