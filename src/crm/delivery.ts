import type { Lead } from '../leadmap/lead';
import { boundedText, CRM_CALL_LIMITS, keptCalls, type CrmCallRecord } from './calls';
import { CrmAuthRefusedError, CrmError } from './errors';
import type { CrmAccountHealthTracker } from './health';
import { parseRetryAfter, type CrmHttp, type SendHooks } from './http';
import { RequestPacer } from './pacing';
import type { AccountSettings } from './settings';
import { getCrmSystem } from './systems';
import type { CrmSender, CrmSystem, PreparedRecord, SystemContext, UpsertOptions, UpsertResult } from './systems/types';
import { sleep } from '../shared/clock';

interface Waiting {
  record: PreparedRecord;
  context: SystemContext;
  /** Leads that may share a call: same batch key, same node options. */
  group: string;
  queuedAt: number;
  resolve: (result: UpsertResult) => void;
  reject: (err: unknown) => void;
}

/**
 * A lead withdrawn before it was sent, because its node closed (a deploy): it is neither delivered nor failed, so the
 * node leaves it unsettled and the inbox emits it again to the node that replaces it.
 */
export class LeadWithdrawnError extends Error {
  constructor() {
    super('the node closed before the lead was sent');
    this.name = 'LeadWithdrawnError';
  }
}

/** The same failure for one lead of a batch, with that lead's own calls (its part of each request). */
function withCalls(err: unknown, calls: CrmCallRecord[]): unknown {
  if (!(err instanceof CrmError)) return err;
  // Every own property, the non-enumerable message and stack included; the class stays (instanceof still holds).
  const own = Object.create(Object.getPrototypeOf(err) as object, Object.getOwnPropertyDescriptors(err)) as CrmError;
  own.calls = keptCalls(calls);
  return own;
}

/** A 4xx for the whole call that one bad record can cause; split the batch to find it (not auth, not a quota). */
const refusedAsAWhole = (err: unknown) =>
  err instanceof CrmError &&
  !(err instanceof CrmAuthRefusedError) &&
  err.status !== undefined &&
  err.status >= 400 &&
  err.status < 500 &&
  ![401, 403, 408, 429].includes(err.status);

/**
 * One account's deliveries: leads that arrive within the batch window go in one call, up to the CRM's batch size,
 * each settled from its own result; every request is paced to the account's quota. One per account client, shared by
 * every sales-crm out node on the account; nothing in it is a callback slot (each lead carries its node's hooks).
 */
export class AccountDelivery {
  readonly system: CrmSystem;
  readonly pacer: RequestPacer;
  /** The account's client, paced: what the systems send through. */
  readonly sender: CrmSender;
  private readonly queue: Waiting[] = [];
  private workers = 0;
  private health?: CrmAccountHealthTracker;

  constructor(
    private readonly client: CrmSender,
    readonly settings: AccountSettings,
  ) {
    this.system = getCrmSystem(settings.system);
    const quota = this.system.quota;
    this.pacer = new RequestPacer(
      { requests: settings.rateLimit || quota.requests, intervalMs: quota.intervalMs },
      quota.daily,
    );
    this.sender = {
      secrets: () => client.secrets(),
      fail: (res, what) => client.fail(res, what),
      send: async (request, hooks: SendHooks = {}) => {
        await this.pacer.admit();
        const res = await client.send(request, {
          ...hooks,
          onRetry: (info) => {
            // A 429 holds every request of the account, not only the one that met it.
            if (info.status === 429) this.pacer.observe({}, 429, info.delayMs);
            this.health?.retryPlanned(Date.now() + info.delayMs, info.status);
            hooks.onRetry?.(info);
          },
        });
        this.pacer.observe(
          this.system.readRateLimit(res.headers),
          res.status,
          parseRetryAfter(res.headers['retry-after']),
        );
        return res;
      },
    };
  }

  /** Reports the account's health to this tracker: each lead's outcome, each planned retry, the queue and quota. */
  reportTo(health: CrmAccountHealthTracker): void {
    this.health = health;
    health.attach({
      waiting: () => this.queue.length,
      quotaWaitMs: () => this.pacer.delayMs(),
      dailyWarning: () => this.pacer.dailyWarning(),
    });
  }

  /** The daily quota's state when nearly spent, for the node's status. */
  dailyWarning() {
    return this.pacer.dailyWarning();
  }

  /** Sends one lead within the account's batches and quota; resolves with its own result, rejects with CrmError. */
  deliver(lead: Lead, options: UpsertOptions): Promise<UpsertResult> {
    const context: SystemContext = { settings: this.settings, options };
    let record: PreparedRecord;
    try {
      record = this.system.prepare(lead, context);
    } catch (err) {
      return Promise.reject(err);
    }
    const group = JSON.stringify([
      record.batchKey,
      options.externalIdField ?? '',
      options.method ?? '',
      options.url ?? '',
    ]);
    return new Promise((resolve, reject) => {
      this.queue.push({ record, context, group, queuedAt: Date.now(), resolve, reject });
      if (this.workers < this.settings.concurrency) {
        this.workers++;
        void this.work();
      }
    });
  }

  /** Withdraws the leads a node queued and that are not on their way yet (the node is closing). */
  withdraw(options: UpsertOptions): number {
    let withdrawn = 0;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].context.options !== options) continue;
      const [w] = this.queue.splice(i, 1);
      w.reject(new LeadWithdrawnError());
      withdrawn++;
    }
    return withdrawn;
  }

  /** Leads waiting to be sent. */
  get waiting(): number {
    return this.queue.length;
  }

  private groupSize(group: string): number {
    let n = 0;
    for (const w of this.queue) if (w.group === group) n++;
    return n;
  }

  /** One of up to `concurrency` loops: wait out the batch window, wait for a slot in the quota, send a batch. */
  private async work(): Promise<void> {
    try {
      await this.drain();
    } finally {
      // Synchronously after the queue was seen empty: a lead queued next starts a new loop.
      this.workers--;
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const oldest = this.queue[0];
      const windowLeft = oldest.queuedAt + this.settings.batchWindowMs - Date.now();
      if (windowLeft > 0 && this.groupSize(oldest.group) < this.system.batchSize) {
        await sleep(windowLeft);
        continue;
      }
      // Take the batch only once the quota lets it go: leads that arrive meanwhile join it.
      await this.pacer.slot();
      const batch = this.take();
      if (batch.length) await this.send(batch);
    }
  }

  private take(): Waiting[] {
    const first = this.queue[0];
    if (!first) return [];
    const batch: Waiting[] = [];
    for (let i = 0; i < this.queue.length && batch.length < this.system.batchSize;) {
      if (this.queue[i].group === first.group) batch.push(...this.queue.splice(i, 1));
      else i++;
    }
    return batch;
  }

  /**
   * Sends a batch; `earlier` are the calls its leads already went through (a refused batch being halved). Each lead
   * settles with its own calls: the request and answer when it went alone; in a batch, its own part of the request
   * and, for an answer, only what the CRM said of it (`own`): a batch's answer names the other leads, whose data must
   * not be kept with this delivery (nor be erased with it).
   */
  private async send(batch: Waiting[], earlier: CrmCallRecord[][] = batch.map(() => [])): Promise<void> {
    const calls: CrmCallRecord[] = [];
    const callsOf = (i: number, own?: string): CrmCallRecord[] => {
      if (batch.length === 1) return [...earlier[i], ...calls];
      const part = boundedText(batch[i].record.fields, CRM_CALL_LIMITS.requestChars, this.sender.secrets());
      return [
        ...earlier[i],
        ...calls.map((call, n) => {
          const { answer, ...shared } = call;
          const said = n === calls.length - 1 ? own : undefined;
          return {
            ...shared,
            batch: batch.length,
            ...(call.request ? { request: part } : {}),
            // No answer came (a timeout): what happened names nobody.
            ...(said ? { answer: said } : call.status === undefined && answer ? { answer } : {}),
          };
        }),
      ];
    };
    let attempts = 0;
    const counting: CrmSender = {
      ...this.sender,
      send: async (request, hooks) => {
        const res = await this.sender.send(request, hooks);
        attempts = Math.max(attempts, res.attempts);
        return res;
      },
    };
    // Each node on the batch hears of a retry through its own hooks.
    const hooks = [...new Set(batch.map((w) => w.context.options.hooks).filter((h): h is SendHooks => Boolean(h)))];
    const context: SystemContext = {
      settings: this.settings,
      options: {
        ...batch[0].context.options,
        hooks: {
          onRetry: (info) => hooks.forEach((h) => h.onRetry?.(info)),
          onCall: (call) => calls.push(call),
        },
      },
    };
    let outcomes;
    try {
      outcomes = await this.system.upsert(
        batch.map((w) => w.record),
        context,
        counting,
      );
    } catch (err) {
      if (batch.length > 1 && refusedAsAWhole(err)) {
        // The CRM refused the call as a whole: halve it until the refusal falls on the lead that caused it.
        const half = Math.ceil(batch.length / 2);
        const before = batch.map((_, i) => callsOf(i));
        await this.send(batch.slice(0, half), before.slice(0, half));
        await this.send(batch.slice(half), before.slice(half));
        return;
      }
      if (err instanceof CrmError) this.health?.failed(err.message, err.status);
      batch.forEach((w, i) => w.reject(withCalls(err, callsOf(i))));
      return;
    }
    batch.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) {
        this.health?.delivered();
        w.resolve({
          system: this.system.id,
          id: outcome.id,
          action: outcome.action,
          attempts,
          calls: keptCalls(callsOf(i, `${outcome.action}${outcome.id ? ` ${outcome.id}` : ''}`)),
        });
        return;
      }
      const reason = outcome?.reason ?? 'the CRM gave no result for this lead';
      this.health?.failed(reason, outcome?.status);
      w.reject(withCalls(new CrmError(reason, outcome?.status, outcome?.reason, attempts), callsOf(i, reason)));
    });
  }
}

const deliveries = new WeakMap<object, AccountDelivery>();

/** The account's delivery: one per account client, so every node on the account shares its batches and quota. */
export function deliveryFor(
  client: CrmHttp,
  settings: AccountSettings,
  health?: CrmAccountHealthTracker,
): AccountDelivery {
  let delivery = deliveries.get(client);
  if (!delivery) {
    delivery = new AccountDelivery(client, settings);
    deliveries.set(client, delivery);
  }
  if (health) delivery.reportTo(health);
  return delivery;
}
