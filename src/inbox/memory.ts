import type { WebhookMeta } from '../receive/types';
import { mentionsAddress } from './address';
import { KeyWindow, type KeyClaim } from './keyWindow';
import { mergeLeads } from './leads';
import {
  collectStats,
  statsFilter,
  DEFAULT_REFUSED_BOUND,
  SETTLED_STATES,
  fromSettlingPoint,
  settledStateOf,
} from './types';
import type {
  DeliveryStats,
  StatsBuckets,
  AcceptResult,
  ClaimOptions,
  DeliveryFilter,
  DeliveryRecord,
  DeliveryState,
  DeliverySummary,
  DueDelivery,
  IncomingDelivery,
  InboxStore,
  LeadSummary,
  RefusedBound,
  RejectedRequest,
  RetentionPolicy,
  SettleRecord,
  StoreHealth,
  StoreHealthReporting,
} from './types';

/** A duplicate key a node remembers, with the time (ms) it may be forgotten: what a context store keeps. */
export type RememberedKey = [key: string, expiresAt: number];

/** Settled deliveries and refused requests kept for the log at the most (unsettled ones are always kept). */
export const DEFAULT_MEMORY_RECORDS = 1000;

interface MemoryDelivery {
  id: number;
  node: string;
  provider: string;
  eventType: string | null;
  eventId: string | null;
  receivedAt: number;
  state: DeliveryState;
  statusCode: number | null;
  reason: string | null;
  headers: Record<string, string>;
  body: Buffer;
  bodyTruncated: boolean;
  meta: WebhookMeta | null;
  issues: string[];
  attempt: number;
  settles: boolean;
  leaseUntil: number | null;
  due: boolean;
  replay: boolean;
  roundStart: number;
  roundFirstAttempt: number;
  leads: LeadSummary[];
  settlements: SettleRecord[];
  /**
   * Latest settlement per part of the current round (made at its first part), and the part count: settling a part
   * costs the same for any count.
   */
  parts: Map<number, SettleRecord> | undefined;
  partCount: number;
  bytes: number;
}

/**
 * The inbox when it is off: nothing survives a restart except the duplicate keys a node chooses to save in a
 * context store (`rememberedKeys` / `restoreKeys`). It keeps each node's duplicate keys within its window and
 * *Remember* limit (what the memory duplicate guard did), the unsettled deliveries for redelivery while Node-RED
 * runs, and at most `maxRecords` settled deliveries and refused requests for the log, newest kept.
 */
export class MemoryInboxStore implements InboxStore, StoreHealthReporting {
  readonly kind = 'memory';
  readonly location = 'memory';
  private readonly deliveries = new Map<number, MemoryDelivery>();
  /** Settled deliveries and refusals in the order they settled: the oldest is dropped first when over the bound. */
  private readonly settledOrder = new Set<number>();
  private readonly nodeKeys = new Map<string, KeyWindow>();
  private nextId = 1;
  /** Refusals held, oldest first, with their bytes; bounded at each refusal (settings.js's bound comes with purge). */
  private readonly refused = new Map<number, number>();
  private refusedBytes = 0;
  private refusedBound: RefusedBound = DEFAULT_REFUSED_BOUND;

  constructor(
    private readonly maxRecords = DEFAULT_MEMORY_RECORDS,
    private readonly now: () => number = Date.now,
  ) {}

  ready(): Promise<void> {
    return Promise.resolve();
  }

  /** Memory is always there: the store never turns unhealthy. */
  health(): StoreHealth {
    return { ok: true };
  }

  onHealthChange(): () => void {
    return () => undefined;
  }

  private keysOf(node: string, limit: number | undefined): KeyWindow {
    let keys = this.nodeKeys.get(node);
    if (!keys) this.nodeKeys.set(node, (keys = new KeyWindow(limit)));
    else if (limit !== undefined) keys.limit = limit;
    return keys;
  }

  accept(delivery: IncomingDelivery): Promise<AcceptResult> {
    return Promise.resolve(this.acceptNow(delivery));
  }

  /** accept() in the same turn: memory has nothing to wait for (see ImmediateAccept in src/delivery/lifecycle.ts). */
  acceptNow(delivery: IncomingDelivery): AcceptResult {
    const now = delivery.receivedAt;
    const keys = this.keysOf(delivery.node, delivery.duplicateLimit);
    const claim = keys.get(delivery.duplicateKey);
    if (claim && claim.expiresAt > now) return { stored: false, duplicateOf: claim.id ? String(claim.id) : undefined };
    const id = this.nextId++;
    const { meta, firstEmission } = delivery;
    const record = newRecord(id, delivery.node, meta.provider, now);
    record.eventType = meta.eventType ?? null;
    record.eventId = meta.eventId ?? null;
    if (firstEmission) {
      record.state = 'emitted';
      record.attempt = 1;
      record.settles = firstEmission.settles;
      record.leaseUntil =
        firstEmission.settles && firstEmission.leaseMs !== undefined ? this.now() + firstEmission.leaseMs : null;
    }
    record.headers = meta.headers;
    record.body = delivery.rawBody;
    record.meta = meta;
    record.issues = delivery.issues;
    record.bytes = delivery.rawBody.length;
    this.deliveries.set(id, record);
    if (delivery.duplicateWindowMs > 0) {
      keys.claim(delivery.duplicateKey, now + delivery.duplicateWindowMs, id);
      keys.evict(now);
    }
    return { stored: true, id: String(id) };
  }

  logRejected(request: RejectedRequest): void {
    const id = this.nextId++;
    const body = request.bodyPrefix ?? Buffer.alloc(0);
    const record = newRecord(id, request.node, request.provider, request.receivedAt);
    record.state = 'rejected';
    record.statusCode = request.statusCode;
    record.reason = request.reason;
    record.headers = request.headers;
    record.body = body;
    record.bodyTruncated = request.bodyTruncated === true;
    record.bytes = body.length;
    this.deliveries.set(id, record);
    this.settled(id);
    // Refusals' own bound, held at every refusal: the oldest go first.
    this.refused.set(id, body.length);
    this.refusedBytes += body.length;
    for (const oldest of this.refused.keys()) {
      if (this.refused.size <= this.refusedBound.maxCount && this.refusedBytes <= this.refusedBound.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** A delivery reached a final state: it now counts against the bound of records kept for the log. */
  private settled(id: number): void {
    this.settledOrder.delete(id);
    this.settledOrder.add(id);
    for (const oldest of this.settledOrder) {
      if (this.settledOrder.size <= this.maxRecords) break;
      this.settledOrder.delete(oldest);
      this.deliveries.delete(oldest);
    }
  }

  private unsettled(id: number): void {
    this.settledOrder.delete(id);
  }

  markEmitted(
    id: string,
    emission: { attempt: number; settles: boolean; leaseUntil?: number; leads?: LeadSummary[] },
  ): Promise<void> {
    const delivery = this.deliveries.get(Number(id));
    if (!delivery || delivery.state === 'rejected') return Promise.resolve();
    const final = SETTLED_STATES.includes(delivery.state);
    if (!final) delivery.state = emission.settles ? 'emitted' : 'delivered';
    delivery.attempt = Math.max(delivery.attempt, emission.attempt);
    delivery.settles = emission.settles;
    delivery.leaseUntil = emission.settles && !final ? (emission.leaseUntil ?? null) : null;
    delivery.due = false;
    if (emission.leads) delivery.leads = mergeLeads(delivery.leads, emission.leads);
    if (!final && delivery.state === 'delivered') this.settled(delivery.id);
    return Promise.resolve();
  }

  noteLeads(id: string, leads: LeadSummary[]): void {
    const delivery = this.deliveries.get(Number(id));
    if (delivery) delivery.leads = mergeLeads(delivery.leads, leads);
  }

  settle(id: string, record: SettleRecord): Promise<DeliveryState | undefined> {
    return Promise.resolve(this.settleNow(id, record));
  }

  /** settle() in the same turn (see ImmediateSettle in src/delivery/lifecycle.ts). */
  settleNow(id: string, record: SettleRecord): DeliveryState | undefined {
    const delivery = this.deliveries.get(Number(id));
    if (!delivery || delivery.state === 'rejected') return undefined;
    delivery.settlements.push(record);
    if (record.lead) delivery.leads = mergeLeads(delivery.leads, [record.lead]);
    // The whole delivery at once (no split): settled by this record alone, no part map needed.
    if (!record.part && !delivery.parts && delivery.partCount === 1) {
      this.settledBy(delivery, record.state);
      return delivery.state;
    }
    // Made at the first part: this round's settlements so far, latest per part (this record included).
    const parts = (delivery.parts ??= new Map(
      delivery.settlements.slice(delivery.roundStart).map((earlier) => [earlier.part?.index ?? 0, earlier]),
    ));
    parts.set(record.part?.index ?? 0, record);
    delivery.partCount = Math.max(delivery.partCount, record.part?.count ?? 1);
    if (parts.size >= delivery.partCount && this.allPartsIn(delivery, parts))
      this.settledBy(delivery, settledStateOf(parts.values()));
    return delivery.state;
  }

  private settledBy(delivery: MemoryDelivery, state: DeliveryState): void {
    delivery.state = state;
    // Settled means emitted at least once, though a plain flow's first emission is not written.
    delivery.attempt = Math.max(delivery.attempt, 1);
    delivery.leaseUntil = null;
    this.settled(delivery.id);
  }

  private allPartsIn(delivery: MemoryDelivery, parts: Map<number, SettleRecord>): boolean {
    for (let index = 0; index < delivery.partCount; index++) if (!parts.has(index)) return false;
    return true;
  }

  claimDue(options: ClaimOptions): Promise<DueDelivery[]> {
    const after = Number(options.afterId ?? 0);
    const claimed: DueDelivery[] = [];
    for (const delivery of this.deliveries.values()) {
      if (claimed.length >= options.limit) break;
      if (delivery.node !== options.node || (delivery.state !== 'received' && delivery.state !== 'emitted')) continue;
      if (options.recovering) {
        if (delivery.id <= after) continue;
      } else if (
        !delivery.due &&
        !(delivery.settles && delivery.leaseUntil !== null && delivery.leaseUntil <= options.now)
      ) {
        continue;
      }
      const attempt = delivery.attempt + 1;
      if (!delivery.due && attempt - delivery.roundFirstAttempt + 1 > options.maxAttempts) {
        const reason = `not settled after ${options.maxAttempts} attempt${options.maxAttempts === 1 ? '' : 's'}`;
        delivery.settlements.push({ state: 'failed', reason, at: options.now });
        // A split delivery with leads still open is failed as a whole.
        delivery.state = 'failed';
        delivery.leaseUntil = null;
        this.settled(delivery.id);
        continue;
      }
      const leaseUntil = options.now + options.leaseMs * 2 ** Math.max(0, attempt - delivery.roundFirstAttempt);
      delivery.state = options.settles ? 'emitted' : 'delivered';
      delivery.attempt = attempt;
      delivery.settles = options.settles;
      delivery.leaseUntil = options.settles ? leaseUntil : null;
      const replay = delivery.replay;
      delivery.due = false;
      if (!options.settles) this.settled(delivery.id);
      claimed.push({
        id: String(delivery.id),
        node: delivery.node,
        rawBody: delivery.body,
        meta: delivery.meta as WebhookMeta,
        issues: delivery.issues,
        attempt,
        replay,
      });
    }
    return Promise.resolve(claimed);
  }

  requestReplay(ids: string[]): Promise<number> {
    let count = 0;
    for (const id of ids) {
      const delivery = this.deliveries.get(Number(id));
      if (!delivery || delivery.state === 'rejected') continue;
      delivery.state = 'received';
      delivery.due = true;
      delivery.replay = true;
      delivery.roundStart = delivery.settlements.length;
      delivery.roundFirstAttempt = delivery.attempt + 1;
      delivery.leaseUntil = null;
      delivery.parts = undefined;
      delivery.partCount = 1;
      this.unsettled(delivery.id);
      count++;
    }
    return Promise.resolve(count);
  }

  private matching(filter: DeliveryFilter): MemoryDelivery[] {
    const q = filter.q?.toLowerCase();
    return [...this.deliveries.values()].filter(
      (d) =>
        (!filter.provider || d.provider === filter.provider) &&
        (!filter.node || d.node === filter.node) &&
        (!filter.state || d.state === filter.state) &&
        (filter.from === undefined || d.receivedAt >= filter.from) &&
        (filter.to === undefined || d.receivedAt <= filter.to) &&
        (!q ||
          String(d.id) === filter.q ||
          d.body.toString('utf8').toLowerCase().includes(q) ||
          (d.eventId ?? '').toLowerCase().includes(q) ||
          JSON.stringify(d.leads).toLowerCase().includes(q)),
    );
  }

  private summary(d: MemoryDelivery): DeliverySummary {
    return {
      id: String(d.id),
      receivedAt: new Date(d.receivedAt).toISOString(),
      provider: d.provider,
      eventType: d.eventType,
      eventId: d.eventId,
      state: d.state,
      node: d.node,
      attempt: d.attempt,
      leads: d.leads,
      crm: d.settlements
        .slice(d.roundStart)
        .filter(fromSettlingPoint)
        .map((s) => ({ system: s.system, recordId: s.recordId, state: s.state })),
      statusCode: d.statusCode,
      reason: d.reason,
    };
  }

  list(filter: DeliveryFilter): Promise<DeliverySummary[]> {
    const rows = this.matching(filter).sort((a, b) => b.id - a.id);
    return Promise.resolve(rows.slice(0, filter.limit ?? 100).map((d) => this.summary(d)));
  }

  ids(filter: DeliveryFilter): Promise<string[]> {
    const rows = this.matching(filter).sort((a, b) => a.id - b.id);
    return Promise.resolve(rows.slice(0, filter.limit ?? 10000).map((d) => String(d.id)));
  }

  deliveryStats(filter: DeliveryFilter, buckets: StatsBuckets): Promise<DeliveryStats> {
    const { stats, add } = collectStats(buckets);
    for (const d of this.matching(statsFilter(filter, buckets)))
      add(Math.floor((d.receivedAt - buckets.from) / buckets.bucketMs), d.state, 1);
    return Promise.resolve(stats);
  }

  get(id: string): Promise<DeliveryRecord | undefined> {
    const d = this.deliveries.get(Number(id));
    if (!d) return Promise.resolve(undefined);
    return Promise.resolve({
      ...this.summary(d),
      headers: d.headers,
      body: d.body.toString('utf8'),
      bodyTruncated: d.bodyTruncated,
      meta: d.meta,
      issues: d.issues,
      settlements: d.settlements,
      replay: d.replay,
      leaseUntil: d.leaseUntil,
    });
  }

  erase(email: string): Promise<number> {
    const address = mentionsAddress(email.trim());
    let erased = 0;
    for (const d of [...this.deliveries.values()]) {
      const texts = [d.body.toString('utf8'), JSON.stringify(d.leads), JSON.stringify(d.settlements)];
      texts.push(JSON.stringify(d.headers));
      if (texts.some((text) => address.test(text))) {
        this.remove(d.id);
        erased++;
      }
    }
    return Promise.resolve(erased);
  }

  private remove(id: number): void {
    this.deliveries.delete(id);
    this.settledOrder.delete(id);
    this.refusedBytes -= this.refused.get(id) ?? 0;
    this.refused.delete(id);
  }

  /**
   * Settled deliveries and refusals older than the policy; then, while over its size, refusals and the oldest
   * delivered ones. Never an unsettled delivery, nor a failed one for size (it waits for a replay).
   */
  purge(policy: RetentionPolicy): Promise<number> {
    if (policy.refused) this.refusedBound = policy.refused;
    const cutoff = this.now() - policy.maxAgeMs;
    let removed = 0;
    for (const id of [...this.settledOrder]) {
      const d = this.deliveries.get(id);
      if (d && d.receivedAt < cutoff) {
        this.remove(id);
        removed++;
      }
    }
    let bytes = 0;
    for (const d of this.deliveries.values()) bytes += d.bytes;
    for (const purgeable of [['rejected'], ['delivered', 'handled']]) {
      for (const id of [...this.settledOrder]) {
        if (bytes <= policy.maxBytes) break;
        const d = this.deliveries.get(id);
        if (!d || !purgeable.includes(d.state)) continue;
        bytes -= d.bytes;
        this.remove(id);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }

  /** A node's duplicate keys still in their window, oldest first: saved in a context store across restarts. */
  rememberedKeys(node: string): RememberedKey[] {
    const keys = this.nodeKeys.get(node);
    if (!keys) return [];
    keys.evict(this.now());
    return keys.entries().map((claim): RememberedKey => [claim.key, claim.expiresAt]);
  }

  /** Adds keys saved before a restart that are still in the window (at most `windowMs` ahead), newest kept. */
  restoreKeys(node: string, saved: unknown, windowMs: number, limit?: number): void {
    if (!Array.isArray(saved)) return;
    const now = this.now();
    const keys = this.keysOf(node, limit);
    const merged = new Map<string, KeyClaim>();
    for (const item of saved as unknown[]) {
      if (Array.isArray(item) && typeof item[0] === 'string' && typeof item[1] === 'number' && item[1] > now)
        merged.set(item[0], { key: item[0], expiresAt: Math.min(item[1], now + windowMs), id: 0 });
    }
    for (const claim of keys.entries()) merged.set(claim.key, claim);
    keys.replace([...merged.values()].sort((a, b) => a.expiresAt - b.expiresAt));
    keys.evict(now);
  }

  close(): Promise<void> {
    this.deliveries.clear();
    this.settledOrder.clear();
    this.nodeKeys.clear();
    return Promise.resolve();
  }
}

/** A record with every field set, in one shape (a delivery's fields are filled in by the caller). */
function newRecord(id: number, node: string, provider: string, receivedAt: number): MemoryDelivery {
  return {
    id,
    node,
    provider,
    eventType: null,
    eventId: null,
    receivedAt,
    state: 'received',
    statusCode: null,
    reason: null,
    headers: NO_HEADERS,
    body: EMPTY_BODY,
    bodyTruncated: false,
    meta: null,
    issues: NO_ISSUES,
    attempt: 0,
    settles: false,
    leaseUntil: null,
    due: false,
    replay: false,
    roundStart: 0,
    roundFirstAttempt: 1,
    // Replaced, never changed in place (mergeLeads makes a new list).
    leads: NO_LEADS,
    settlements: [],
    parts: undefined,
    partCount: 1,
    bytes: 0,
  };
}

const NO_HEADERS: Record<string, string> = {};
const NO_ISSUES: string[] = [];
const NO_LEADS: LeadSummary[] = [];
const EMPTY_BODY = Buffer.alloc(0);
