import type { CrmCallRecord } from '../crm/calls';
import type { WebhookMeta } from '../receive/types';

/**
 * The durable inbox: every verified delivery is stored before the sender gets its 2xx, and kept until the flow
 * has settled it. This file is the storage interface; `sqlite.ts` is the embedded store, Redis the shared one.
 * Times are epoch milliseconds; ids are strings so that a store may use its own kind (row ids, stream ids).
 */

/**
 * `delivered`: a CRM (or a settle node) took it. `handled`: the flow handled every message it made and no CRM was
 * involved (a plain flow ending in a file or debug node): not to be read as "in the CRM".
 */
export type DeliveryState = 'received' | 'emitted' | 'delivered' | 'handled' | 'failed' | 'rejected';
export const DELIVERY_STATES: readonly DeliveryState[] = [
  'received',
  'emitted',
  'delivered',
  'handled',
  'failed',
  'rejected',
];
/** States after which a delivery is never emitted again (unless replayed). */
export const SETTLED_STATES: readonly DeliveryState[] = ['delivered', 'handled', 'failed'];

/** Whether a settlement came from a CRM or settle node (the log's CRM answers), not from a plain flow finishing. */
export function fromSettlingPoint(record: SettleRecord): boolean {
  return record.state !== 'handled';
}

/** The state of a delivery whose every part has a settlement: failed if one failed, delivered if one reached a CRM. */
export function settledStateOf(
  records: Iterable<{ state: SettleRecord['state'] }>,
): 'delivered' | 'handled' | 'failed' {
  let state: 'delivered' | 'handled' | 'failed' = 'handled';
  for (const record of records) {
    if (record.state === 'failed') return 'failed';
    if (record.state === 'delivered') state = 'delivered';
  }
  return state;
}

/** A verified delivery, as `sales webhook` hands it to the store before answering. */
export interface IncomingDelivery {
  /** The `sales webhook` node's id: deliveries, duplicates and recovery are per node. */
  node: string;
  /** Built only from what the signature covers (event id or hash of the signed bytes). */
  duplicateKey: string;
  /** How long the key marks a repeat as a duplicate. */
  duplicateWindowMs: number;
  /** The most keys this node's duplicates are remembered by (the newest win); absent: no limit. */
  duplicateLimit?: number;
  receivedAt: number;
  /** The exact bytes that arrived. */
  rawBody: Buffer;
  /** msg.webhook as emitted (headers already redacted), without the inbox fields. */
  meta: WebhookMeta;
  /** Schema issues in plain words; a delivery with issues is stored but goes to output 2. */
  issues: string[];
  /**
   * The first emission, stored with the delivery in the same write: for recovery `received` and `emitted` mean the
   * same (not settled), so no markEmitted is needed. With `settles`, it runs under a lease of `leaseMs`, counted from
   * when the store writes it: a write slower than the lease must not let a claim emit it again before its first
   * emission.
   */
  firstEmission?: { settles: boolean; leaseMs?: number };
}

export type AcceptResult = { stored: true; id: string } | { stored: false; duplicateOf: string | undefined };

/** A request the node refused (401, 400, 413, 415, 405, …): logged, flagged unverified, never emitted. */
export interface RejectedRequest {
  node: string;
  provider: string;
  receivedAt: number;
  statusCode: number;
  reason: string;
  /** Redacted. */
  headers: Record<string, string>;
  /** At most the first REJECTED_BODY_BYTES of the body, when it was read. */
  bodyPrefix?: Buffer;
  /** The body was longer than bodyPrefix (or not read to its end): the log says only its start is kept. */
  bodyTruncated?: boolean;
}

export const REJECTED_BODY_BYTES = 4096;

/** What a flow made of a delivery: one entry per lead, so a split delivery is settled when all of its leads are. */
export interface LeadSummary {
  email?: string;
  name?: string;
}

/** One answer of a CRM (or other settling point) for one lead of a delivery. */
export interface SettleRecord {
  /** `handled`: the flow handled the delivery's messages and nothing downstream settles (no CRM). */
  state: 'delivered' | 'handled' | 'failed';
  /** The lead's position in a split delivery, and how many leads it made (absent: the whole delivery). */
  part?: { index: number; count: number };
  /** Where it went: `hubspot`, `salesforce`, …, or the settling node's name. */
  system?: string;
  /** The CRM's record id, on success. */
  recordId?: string;
  action?: string;
  /** Requests made, retries included. */
  attempts?: number;
  /** Why it failed (no secret: callers pass the already scrubbed text). */
  reason?: string;
  at: number;
  lead?: LeadSummary;
  /** The CRM requests for this lead and their answers: scrubbed, and bounded in number and size (CRM_CALL_LIMITS). */
  calls?: CrmCallRecord[];
}

/** A delivery handed back to a node for emission (recovery, lease expiry, replay). */
export interface DueDelivery {
  id: string;
  node: string;
  rawBody: Buffer;
  meta: WebhookMeta;
  issues: string[];
  /** 1 for the first emission. */
  attempt: number;
  replay: boolean;
}

export interface DeliveryFilter {
  provider?: string;
  node?: string;
  state?: DeliveryState;
  /** Case-insensitive text: an e-mail, an event id or any text of the body. */
  q?: string;
  from?: number;
  to?: number;
  limit?: number;
}

/** A row of the delivery log (no body, no headers). */
export interface DeliverySummary {
  id: string;
  receivedAt: string;
  provider: string;
  eventType: string | null;
  eventId: string | null;
  state: DeliveryState;
  node: string;
  attempt: number;
  leads: LeadSummary[];
  crm: { system?: string; recordId?: string; state: string }[];
  statusCode: number | null;
  reason: string | null;
}

/** The periods the log's health counts over: `size` buckets of `bucketMs` each, ending now. */
export const STATS_PERIODS = {
  hour: { bucketMs: 5 * 60_000, buckets: 12 },
  day: { bucketMs: 60 * 60_000, buckets: 24 },
  week: { bucketMs: 6 * 60 * 60_000, buckets: 28 },
} as const;
export type StatsPeriod = keyof typeof STATS_PERIODS;
export const DEFAULT_STATS_PERIOD: StatsPeriod = 'day';
/** The chart's outcomes, each the states it adds up: what reached its end, what failed, what was refused. */
export const STATS_OUTCOMES: Record<'ok' | 'failed' | 'rejected', readonly DeliveryState[]> = {
  ok: ['delivered', 'handled'],
  failed: ['failed'],
  rejected: ['rejected'],
};

/** Equal time buckets from `from` (included): bucket i holds deliveries received in [from + i·bucketMs, from + (i+1)·bucketMs). */
export interface StatsBuckets {
  from: number;
  bucketMs: number;
  count: number;
}

/** Deliveries by state over the buckets: `totals` over all of them, `buckets[i]` per bucket (absent states are 0). */
export interface DeliveryStats {
  from: number;
  bucketMs: number;
  totals: Partial<Record<DeliveryState, number>>;
  buckets: Partial<Record<DeliveryState, number>>[];
}

/** Empty stats for these buckets, and the adder each store feeds (bucket index, state, how many). */
export function collectStats(buckets: StatsBuckets): {
  stats: DeliveryStats;
  add(index: number, state: DeliveryState, count: number): void;
} {
  const stats: DeliveryStats = {
    from: buckets.from,
    bucketMs: buckets.bucketMs,
    totals: {},
    buckets: Array.from({ length: buckets.count }, () => ({})),
  };
  return {
    stats,
    add(index, state, count) {
      if (index < 0 || index >= buckets.count || count <= 0) return;
      stats.buckets[index][state] = (stats.buckets[index][state] ?? 0) + count;
      stats.totals[state] = (stats.totals[state] ?? 0) + count;
    },
  };
}

/** The filter of the deliveries the buckets cover (the filter's own time range is replaced). */
export function statsFilter(filter: DeliveryFilter, buckets: StatsBuckets): DeliveryFilter {
  return { ...filter, from: buckets.from, to: buckets.from + buckets.bucketMs * buckets.count - 1, limit: undefined };
}

/** The whole record, for the detail view. */
export interface DeliveryRecord extends DeliverySummary {
  headers: Record<string, string>;
  /** The body as text (UTF-8); for a rejected request, at most its first bytes. */
  body: string;
  bodyTruncated: boolean;
  meta: WebhookMeta | null;
  issues: string[];
  settlements: SettleRecord[];
  replay: boolean;
  leaseUntil: number | null;
}

export interface RetentionPolicy {
  /** Settled deliveries (failed ones included) and refusals older than this go. */
  maxAgeMs: number;
  /** Over this, refusals go first, then the oldest delivered ones; a failed or unsettled delivery never goes for size. */
  maxBytes: number;
  /** Refused requests' own bound, held at every refusal (a flood of forged requests cannot grow the inbox). */
  refused?: RefusedBound;
}

/** The most refused requests an inbox keeps for the log: the oldest go first when a new one would pass either. */
export interface RefusedBound {
  maxCount: number;
  maxBytes: number;
}

export const DEFAULT_REFUSED_COUNT = 10_000;
export const DEFAULT_REFUSED_MB = 32;
export const DEFAULT_REFUSED_BOUND: RefusedBound = {
  maxCount: DEFAULT_REFUSED_COUNT,
  maxBytes: DEFAULT_REFUSED_MB * 1024 * 1024,
};

export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_RETENTION_MB = 1024;

/** How a node wants its unsettled deliveries handed back. */
export interface ClaimOptions {
  node: string;
  now: number;
  /** Lease of the first re-emission; doubles with each further attempt. */
  leaseMs: number;
  /** Attempts (emissions) after which an unsettled delivery is marked failed instead of emitted again. */
  maxAttempts: number;
  limit: number;
  /** Whether the node's flow has a settling point: without one, an emitted delivery counts as delivered. */
  settles: boolean;
  /** Claim every unsettled delivery of the node regardless of its lease: Node-RED (or the node) just started. */
  recovering?: boolean;
  /** Recovery pages through the unsettled deliveries by id: only those after this one. */
  afterId?: string;
}

/** The store could not write or read (disk full, file locked, permissions, server down). Sender gets 503. */
export class InboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InboxUnavailableError';
  }
}

/**
 * Whether a store can keep its promise right now. `reason` is plain words naming what to fix, never a secret
 * (e.g. "the inbox file /x/y.db is in use by another Node-RED (pid 123 on host h)"); `retryAfterSeconds` is what a
 * sender is told to wait (the 503's Retry-After).
 */
export type StoreHealth = { ok: true } | { ok: false; reason: string; retryAfterSeconds?: number };

export interface InboxStore {
  /** `sqlite` or `redis`: shown in statuses and the log. */
  readonly kind: string;
  /** Where it is, for messages (file path or server without credentials). */
  readonly location: string;
  /** Resolves once the store can write; rejects with InboxUnavailableError otherwise. */
  ready(): Promise<void>;

  /** Claims the duplicate key and stores the delivery in one durable step; resolves only once it is on disk. */
  accept(delivery: IncomingDelivery): Promise<AcceptResult>;
  /** Logs a refused request; never throws, never delays the answer. */
  logRejected(request: RejectedRequest): void;
  /**
   * Records an emission. With `settles` false nothing downstream settles the delivery, so it counts as delivered.
   * With `settles` true, a lease starts: unsettled when it ends, the delivery is emitted again.
   */
  markEmitted(
    id: string,
    emission: { attempt: number; settles: boolean; leaseUntil?: number; leads?: LeadSummary[] },
  ): Promise<void>;
  /** Records the leads a delivery made (for the log), without settling it. Never throws. */
  noteLeads(id: string, leads: LeadSummary[]): void;
  /** Adds what a settling point made of (part of) the delivery; returns the delivery's state after it. */
  settle(id: string, record: SettleRecord): Promise<DeliveryState | undefined>;
  /** Unsettled deliveries due again (lease over, recovery, replay requested), claimed with a new lease. */
  claimDue(options: ClaimOptions): Promise<DueDelivery[]>;
  /** Asks for these deliveries to be emitted again by their node, flagged as a replay. Returns how many. */
  requestReplay(ids: string[]): Promise<number>;

  list(filter: DeliveryFilter): Promise<DeliverySummary[]>;
  get(id: string): Promise<DeliveryRecord | undefined>;
  /** Ids matching the filter (for "replay every failed delivery matching the filter"). */
  ids(filter: DeliveryFilter): Promise<string[]>;
  /** Deliveries matching the filter counted by state in each time bucket (the log's health and chart). */
  deliveryStats(filter: DeliveryFilter, buckets: StatsBuckets): Promise<DeliveryStats>;
  /** Removes every delivery and rejected request that mentions this address. Returns how many. */
  erase(email: string): Promise<number>;
  /** Removes what is older or over the size limit, oldest first. Returns how many. */
  purge(policy: RetentionPolicy): Promise<number>;
  close(): Promise<void>;
  /** The store's health now: while not ok, receiving nodes answer 503 with Retry-After, acknowledge nothing, emit nothing. */
  health(): StoreHealth;
  /** Calls the listener at each change of health; returns the function that stops it. */
  onHealthChange(listener: (health: StoreHealth) => void): () => void;
}

/** The health members of InboxStore (stores that name it in `implements` keep compiling). */
export type StoreHealthReporting = Pick<InboxStore, 'health' | 'onHealthChange'>;
