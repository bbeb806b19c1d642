import { reportAlertSignal } from '../alerts/signals';
import { Redelivery } from '../inbox/redelivery';
import {
  InboxUnavailableError,
  type AcceptResult,
  type DeliveryState,
  type DueDelivery,
  type IncomingDelivery,
  type InboxStore,
  type LeadSummary,
  type RejectedRequest,
  type SettleRecord,
  type StoreHealth,
} from '../inbox/types';
import type { WebhookMeta } from '../receive/types';
import { announceDelivery } from './announce';
import { registerInboxConsumer } from './registry';
import type { MessageTracker, TrackedEmission } from './tracker';

/** How long a sender is told to wait when the store cannot write and says nothing more precise. */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;
/** How often expired leases are looked for, at most (a short lease is checked a few times within it). */
const LEASE_POLL_MS = 5000;
const MIN_LEASE_POLL_MS = 50;

/** What the durable step made of a verified delivery: stored (its id), a repeat, or the store cannot take it now. */
export type AcceptOutcome =
  { stored: true; deliveryId: string } | { stored: false } | { unavailable: string; retryAfterSeconds: number };

/** A store that takes a delivery in the same turn (the memory store): its sender is answered without a promise. */
export interface ImmediateAccept {
  acceptNow(delivery: IncomingDelivery): AcceptResult;
}

/** A store that settles in the same turn (the memory store): a plain flow's settlement needs no promise. */
export interface ImmediateSettle {
  settleNow(id: string, record: SettleRecord): DeliveryState | undefined;
}

/** A stored delivery on its way into the flow. */
export interface Emission {
  id: string;
  payload: Record<string, unknown>;
  meta: WebhookMeta;
  issues: string[];
  attempt: number;
  replay: boolean;
}

/** What the lifecycle needs of the node that hosts it: the Node-RED side. */
export interface LifecycleHost {
  /** Sends the emission into the flow (output 1, or output 2 with issues) as a message with this `_msgid`. */
  send(emission: Emission, msgid: string): void;
  newMessageId(): string;
  /** The store's health changed: it cannot take deliveries (`ok: false`, why) or can again. Told once per change. */
  healthChanged(health: StoreHealth): void;
  /** An error that is nobody's delivery (a programming error): the node logs it. */
  error(err: Error): void;
}

export interface LifecycleOptions {
  node: string;
  store: InboxStore;
  tracker: MessageTracker;
  /** Lease of an emission: unsettled when it ends, the delivery is emitted again (doubling each time). */
  leaseMs: number;
  maxAttempts: number;
  host: LifecycleHost;
}

/** A plain flow's emission being followed: when it started and with which message; the tracker tells it the end. */
class Followed implements TrackedEmission {
  /** Leads noted while the flow works: written with the settlement, not in a write of their own. */
  leads?: LeadSummary[];

  constructor(
    private readonly lifecycle: DeliveryLifecycle,
    readonly id: string,
    readonly msgid: string,
    readonly attempt: number,
    readonly since: number,
    /** The store holds no lease for it (the first emission is not written): the lifecycle watches the time itself. */
    public unleased: boolean,
  ) {}

  handled(): void {
    this.lifecycle.followedFinished(this, 'handled');
  }

  failed(reason: string): void {
    this.lifecycle.followedFinished(this, 'failed', reason);
  }
}

/**
 * One `sales webhook` node's deliveries from the 2xx to their settlement: accept (store before answering), emit,
 * redeliver (recovery at start, lease expiry, replay), settle, announce. Knows nothing of Node-RED: the host sends.
 *
 * Where a settling point (sales-crm out, sales-webhook settle) follows an output, it settles the delivery and an
 * emission runs under a lease. Where none does, the delivery is settled `handled` once every node its messages
 * reached has finished with them, or `failed` with the reason when one could not; until then it stays unsettled,
 * so a crash emits it again.
 */
export class DeliveryLifecycle {
  private settles: [boolean, boolean] = [false, false];
  private flowsStarted = false;
  private closed = false;
  private readonly followed = new Map<string, Followed>();
  /** Accepted with their first emission and its lease in the same write: no markEmitted before they settle. */
  private readonly acceptedEmitted = new Set<string>();
  private readonly redelivery: Redelivery;
  private readonly unregister: () => void;
  private readonly unwatch: () => void;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly acceptNow?: (delivery: IncomingDelivery) => AcceptResult;
  private readonly settleNow?: (id: string, record: SettleRecord) => DeliveryState | undefined;
  /** The health last told: a change is told (host, alert nodes) once, however many writes see it. */
  private health: StoreHealth = { ok: true };

  constructor(private readonly options: LifecycleOptions) {
    const { store, node, leaseMs, maxAttempts } = options;
    const immediate = store as Partial<ImmediateAccept & ImmediateSettle> & InboxStore;
    if (typeof immediate.acceptNow === 'function') this.acceptNow = immediate.acceptNow.bind(store);
    if (typeof immediate.settleNow === 'function') this.settleNow = immediate.settleNow.bind(store);
    const pollMs = Math.max(MIN_LEASE_POLL_MS, Math.min(LEASE_POLL_MS, leaseMs / 4));
    this.redelivery = new Redelivery({
      store,
      node,
      leaseMs,
      maxAttempts,
      pollMs,
      // Every emission runs under a lease: a plain flow's delivery is settled `handled` by this lifecycle.
      settles: () => true,
      emit: (due) => this.redeliver(due),
      onError: (err) => this.storeFailed(err),
    });
    this.unregister = registerInboxConsumer({
      nodeId: node,
      store,
      poke: () => this.redelivery.poke(),
      replayed: (id) => {
        announceDelivery({ id, node, state: 'received' });
        this.redelivery.poke();
      },
      settle: (id, record) => this.settle(id, record),
      noteLeads: (id, leads) => this.noteLeads(id, leads),
    });
    this.unwatch = store.onHealthChange((health) => this.healthChanged(health));
    store.ready().then(
      () => this.healthChanged(store.health()),
      (err: Error) => this.healthChanged({ ok: false, reason: err.message }),
    );
    this.sweepTimer = setInterval(() => this.sweepUnleased(), pollMs);
    this.sweepTimer.unref?.();
  }

  get store(): InboxStore {
    return this.options.store;
  }

  /** Decided at each flow start: does a settling point follow output 1, output 2? */
  setSettlingPoints(settles: [boolean, boolean]): void {
    this.settles = settles;
  }

  /** The flows run: what the last run left unsettled is emitted again, then leases are watched. */
  start(): void {
    if (this.closed) return;
    this.flowsStarted = true;
    void this.redelivery.start();
  }

  /**
   * Stores a verified delivery before its sender is answered: the outcome at once when the store takes it in the same
   * turn (memory), else once it is durable (or refused). The first emission is added to `delivery` (it is the caller's
   * own object, made for this call).
   */
  accept(delivery: IncomingDelivery): AcceptOutcome | Promise<AcceptOutcome> {
    const health = this.options.store.health();
    if (!health.ok) return unavailable(health);
    // Emitted at once (the flows run): the first emission and its lease go in the delivery's own write.
    const emitsNow = this.flowsStarted && !this.closed;
    if (emitsNow) delivery.firstEmission = { settles: true, leaseMs: this.options.leaseMs };
    if (this.acceptNow) {
      try {
        return this.accepted(this.acceptNow(delivery), emitsNow);
      } catch (err) {
        return this.acceptFailed(err);
      }
    }
    return this.options.store.accept(delivery).then(
      (result) => this.accepted(result, emitsNow),
      (err: unknown) => this.acceptFailed(err),
    );
  }

  private accepted(result: AcceptResult, emitsNow: boolean): AcceptOutcome {
    if (!this.health.ok) this.healthChanged({ ok: true });
    if (!result.stored) return NOT_STORED;
    if (emitsNow) this.acceptedEmitted.add(result.id);
    announceDelivery({ id: result.id, node: this.options.node, state: 'received' });
    return { stored: true, deliveryId: result.id };
  }

  private acceptFailed(err: unknown): AcceptOutcome {
    if (!(err instanceof InboxUnavailableError)) throw err;
    this.storeFailed(err);
    return unavailable({ ok: false, reason: err.message });
  }

  /** Logs a refused request (never emitted) and tells the delivery log. */
  logRejected(request: RejectedRequest): void {
    this.options.store.logRejected(request);
    announceDelivery({ id: '', node: this.options.node, state: 'rejected' });
  }

  /** The first emission of a delivery just answered 2xx. */
  emitAccepted(emission: Emission): void {
    // Stored while the flows were starting or the node closing: recovery emits it, so it is not emitted twice.
    const leased = this.acceptedEmitted.delete(emission.id);
    if (this.closed || !this.flowsStarted) return;
    this.emit(emission, !leased);
  }

  /** Stops emitting and following; the store stays open for whoever releases it. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.redelivery.stop();
    this.unregister();
    this.unwatch();
    for (const { msgid } of this.followed.values()) this.options.tracker.forget(msgid);
    this.followed.clear();
  }

  private redeliver(due: DueDelivery): void {
    if (!this.options.store.health().ok) return;
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(due.rawBody.toString('utf8')) as Record<string, unknown>;
    } catch {
      return; // stored only after it parsed; a damaged row is left in the log
    }
    this.emit({ id: due.id, payload, meta: due.meta, issues: due.issues, attempt: due.attempt, replay: due.replay });
    announceDelivery({ id: due.id, node: this.options.node, state: 'emitted' });
  }

  /** `unwritten`: a first emission the store does not know of (accepted while the flows were starting). */
  private emit(emission: Emission, unwritten = false): void {
    const { host, tracker } = this.options;
    const output = emission.issues.length ? 1 : 0;
    if (this.settles[output]) {
      if (unwritten) this.markEmitted(emission.id, emission.attempt);
      this.sendSafely(emission, host.newMessageId());
      return;
    }
    const previous = this.followed.get(emission.id);
    if (previous) tracker.forget(previous.msgid);
    const msgid = host.newMessageId();
    const followed = new Followed(this, emission.id, msgid, emission.attempt, Date.now(), unwritten);
    this.followed.set(emission.id, followed);
    tracker.track(msgid, followed);
    let thrown: string | undefined;
    try {
      host.send(emission, msgid);
    } catch (err) {
      thrown = `the flow could not take the message: ${(err as Error)?.message ?? String(err)}`;
    }
    tracker.sendReturned(msgid, thrown);
  }

  /** Every node a followed emission's messages reached has finished with them, or one failed: it settles. */
  followedFinished(followed: Followed, state: 'handled' | 'failed', reason?: string): void {
    const { id, leads } = followed;
    if (this.followed.get(id) === followed) this.followed.delete(id);
    const record: SettleRecord = reason === undefined ? { state, at: Date.now() } : { state, reason, at: Date.now() };
    // One lead rides on the settlement; several are noted first (the same group commit).
    if (leads?.length === 1) record.lead = leads[0];
    else if (leads && leads.length > 1) this.options.store.noteLeads(id, leads);
    this.settleQuietly(id, record);
  }

  /** Sends where a settling point decides; a send that throws leaves the lease to emit it again. */
  private sendSafely(emission: Emission, msgid: string): void {
    try {
      this.options.host.send(emission, msgid);
    } catch (err) {
      this.options.host.error(err as Error);
    }
  }

  private noteLeads(id: string, leads: LeadSummary[]): void {
    const followed = this.followed.get(id);
    if (followed) followed.leads = [...(followed.leads ?? []), ...leads];
    else this.options.store.noteLeads(id, leads);
  }

  private markEmitted(id: string, attempt: number, leaseUntil = Date.now() + this.options.leaseMs): void {
    const { store, node } = this.options;
    store
      .markEmitted(id, { attempt, settles: true, leaseUntil })
      .then(() => announceDelivery({ id, node, state: 'emitted' }))
      .catch((err: Error) => this.storeFailed(err));
  }

  /** Every settlement goes through here: settling points (through the registry) and plain flows finishing. */
  private settle(id: string, record: SettleRecord): Promise<DeliveryState | undefined> {
    return this.options.store.settle(id, record).then((state) => this.settled(id, record, state));
  }

  private settled(id: string, record: SettleRecord, state: DeliveryState | undefined): DeliveryState | undefined {
    if (state) announceDelivery({ id, node: this.options.node, state, reason: record.reason });
    return state;
  }

  private settleQuietly(id: string, record: SettleRecord): void {
    if (!this.settleNow) {
      this.settle(id, record).catch((err: Error) => this.storeFailed(err));
      return;
    }
    let state: DeliveryState | undefined;
    try {
      state = this.settleNow(id, record);
    } catch (err) {
      return this.storeFailed(err as Error);
    }
    this.settled(id, record, state);
  }

  /**
   * A first emission of a plain flow is not written (the delivery stays `received`, which recovery emits again):
   * when its flow has not finished with it within the lease, it is handed to the store's lease to be emitted again.
   */
  private sweepUnleased(): void {
    const now = Date.now();
    for (const [id, followed] of this.followed) {
      if (!followed.unleased || now - followed.since < this.options.leaseMs) continue;
      followed.unleased = false;
      this.markEmitted(id, followed.attempt, now);
      this.redelivery.poke();
    }
  }

  private storeFailed(err: Error): void {
    if (err instanceof InboxUnavailableError) this.healthChanged({ ok: false, reason: err.message });
    else this.options.host.error(err);
  }

  private healthChanged(health: StoreHealth): void {
    const last = this.health;
    if (this.closed || (health.ok ? last.ok : !last.ok && last.reason === health.reason)) return;
    this.health = health;
    const { node, store, host } = this.options;
    reportAlertSignal({ type: 'store-health', node, location: store.location, ...health });
    host.healthChanged(health);
  }
}

const NOT_STORED: AcceptOutcome = { stored: false };

function unavailable(health: StoreHealth & { ok: false }): AcceptOutcome {
  return { unavailable: health.reason, retryAfterSeconds: health.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS };
}
