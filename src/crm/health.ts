import { cutAtWordEdge } from './calls';

/**
 * `ok`: the last lead reached the CRM. `retrying`: not failing, but a request waits for its retry or for the quota
 * (or the daily quota is nearly spent). `failing`: the last lead did not reach the CRM, or its credentials were
 * refused. `idle`: nothing sent since Node-RED started.
 */
export type CrmHealthState = 'ok' | 'retrying' | 'failing' | 'idle';
/** GET under httpAdminRoot (as the editor asks it, without the leading slash): `{ now, accounts }`. */
export const CRM_HEALTH_ROUTE = 'sales-webhooks/crm-health';

/** One CRM account's health, as GET sales-webhooks/crm-health answers it (times are epoch ms). */
export interface CrmAccountHealth {
  /** The sales-crm-account node's id. */
  account: string;
  name: string;
  system: string;
  state: CrmHealthState;
  lastSuccessAt?: number;
  /** Since when leads fail, and why the last one did (scrubbed: the CRM's reason or what happened). */
  failing?: { since: number; reason: string; status?: number };
  /**
   * When the account sends again: a request's back-off (`backoff`, the answer's status when one came) or the CRM's
   * quota (`quota`: its rate limit or a 429's Retry-After). Absent when nothing waits. A failed delivery's next
   * emission is the inbox's, shown in its timeline.
   */
  nextRetry?: { at: number; cause: 'backoff' | 'quota'; status?: number };
  /** Leads queued for the account, not sent yet. */
  waiting: number;
  /** The daily quota when nearly spent. */
  dailyQuota?: { remaining: number; limit: number };
}

/** What the account's delivery knows right now: its queue, its quota wait. */
export interface AccountLiveState {
  waiting(): number;
  quotaWaitMs(): number;
  dailyWarning(): { remaining: number; limit: number } | undefined;
}

/** A failure reason is kept this long at most: the sidebar shows one line of it. */
const REASON_CHARS = 300;

/** One account's health from what its deliveries report. Pure: no Node-RED, no timers; the clock is passed in. */
export class CrmAccountHealthTracker {
  private lastSuccessAt?: number;
  private failing?: { since: number; reason: string; status?: number };
  private retry?: { at: number; status?: number };
  private live?: AccountLiveState;
  /** Set once the settings were unusable: the next deploy's tracker does not inherit that failure. */
  unusable = false;

  constructor(
    readonly account: string,
    public name: string,
    public system: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The account's delivery (its queue and pacer); a newer one replaces an older (a redeploy). */
  attach(live: AccountLiveState): void {
    this.live = live;
  }

  /** A lead reached the CRM: failing ends. */
  delivered(): void {
    this.lastSuccessAt = this.now();
    this.failing = undefined;
    this.retry = undefined;
  }

  /** A lead did not reach the CRM (every attempt spent, refused, credentials refused). `reason` is already scrubbed. */
  failed(reason: string, status?: number): void {
    this.failing = { since: this.failing?.since ?? this.now(), reason: cutAtWordEdge(reason, REASON_CHARS), status };
    this.retry = undefined;
  }

  /** The account's settings are unusable: nothing can be sent until a deploy fixes them (which starts afresh). */
  misconfigured(reason: string): void {
    this.failed(reason);
    this.unusable = true;
  }

  /** A request waits for its retry until `at`. */
  retryPlanned(at: number, status?: number): void {
    this.retry = { at, status };
  }

  /** Forgets a failure reason that mentions an erased person (a CRM may name the address it refused). */
  forget(mentions: (text: string) => boolean): void {
    if (this.failing && mentions(this.failing.reason)) this.failing = { ...this.failing, reason: '' };
  }

  health(): CrmAccountHealth {
    const now = this.now();
    const waiting = this.live?.waiting() ?? 0;
    const quotaWait = waiting > 0 ? (this.live?.quotaWaitMs() ?? 0) : 0;
    const backoff = this.retry && this.retry.at > now ? this.retry : undefined;
    let nextRetry: CrmAccountHealth['nextRetry'];
    if (quotaWait > 0 && (!backoff || now + quotaWait > backoff.at))
      nextRetry = { at: now + quotaWait, cause: 'quota' };
    else if (backoff)
      nextRetry = { at: backoff.at, cause: 'backoff', ...(backoff.status ? { status: backoff.status } : {}) };
    const dailyQuota = this.live?.dailyWarning();
    const state: CrmHealthState = this.failing
      ? 'failing'
      : nextRetry || dailyQuota
        ? 'retrying'
        : this.lastSuccessAt
          ? 'ok'
          : 'idle';
    return {
      account: this.account,
      name: this.name,
      system: this.system,
      state,
      ...(this.lastSuccessAt ? { lastSuccessAt: this.lastSuccessAt } : {}),
      ...(this.failing ? { failing: { ...this.failing } } : {}),
      ...(nextRetry ? { nextRetry } : {}),
      waiting,
      ...(dailyQuota ? { dailyQuota } : {}),
    };
  }
}

/** Every CRM account's health, by account id; an account keeps its history through redeploys until it is removed. */
export class CrmHealthBoard {
  private readonly accounts = new Map<string, CrmAccountHealthTracker>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The account's tracker, made or renamed; a change of system starts afresh (another CRM, another history), and so
   * does an account whose settings were unusable.
   */
  track(account: string, name: string, system: string): CrmAccountHealthTracker {
    let tracker = this.accounts.get(account);
    if (!tracker || tracker.system !== system || tracker.unusable) {
      tracker = new CrmAccountHealthTracker(account, name, system, this.now);
      this.accounts.set(account, tracker);
    }
    tracker.name = name;
    return tracker;
  }

  /** The account node was removed. */
  drop(account: string): void {
    this.accounts.delete(account);
  }

  /** Every account's health, by name. */
  list(): CrmAccountHealth[] {
    return [...this.accounts.values()].map((t) => t.health()).sort((a, b) => a.name.localeCompare(b.name));
  }

  forget(mentions: (text: string) => boolean): void {
    for (const tracker of this.accounts.values()) tracker.forget(mentions);
  }
}

/** The runtime's board: the account nodes report to it, the admin route reads it. */
export const crmHealthBoard = new CrmHealthBoard();
