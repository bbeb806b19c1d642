import type { DeliveryState } from '../inbox/types';
import type { AlertSignal } from './signals';
import {
  ALERT_KINDS,
  ProblemTracker,
  WindowCounter,
  problemKey,
  type AlertKind,
  type PersistedProblems,
  type Problem,
  type Transition,
} from './problems';

/** Refused requests are counted over this window (a rotated secret shows as a burst of them). */
export const REJECTION_WINDOW_MS = 5 * 60_000;

export const ALERT_DEFAULTS = {
  backlogMinutes: 15,
  /** Off: how often a platform sends is the user's knowledge. */
  quietMinutes: 0,
  rejections: 20,
} as const;

export interface MonitorOptions {
  kinds: readonly AlertKind[];
  /** Whether a receiving node is watched (all, or those of the alert node's flow). */
  inScope(node: string): boolean;
  backlogMs: number;
  /** 0: quiet nodes are not watched. */
  quietMs: number;
  rejections: number;
  rejectionWindowMs?: number;
  /** The problems the last run left open (read from beside the inbox). */
  restored?: PersistedProblems;
  transition(t: Transition): void;
  /** Open problems changed: time to persist; at once when one opened or resolved (`transition`), else when convenient. */
  changed(persisted: PersistedProblems, transition: boolean): void;
}

const SUCCEEDED: readonly DeliveryState[] = ['delivered', 'handled'];
/**
 * An unsettled delivery not heard of for this long is looked up in its store: the store marks one `failed` when its
 * attempts run out, and no announcement tells of that. Later looks follow its lease (the claim that fails it comes
 * within a few seconds of the lease's end); one without a lease is looked at again after UNLEASED_CHECK_MS.
 */
export const UNSETTLED_CHECK_MS = 5_000;
const UNLEASED_CHECK_MS = 60_000;
/** Failures found in a store before their announcement came (a race): remembered so the announcement counts nothing. */
const MAX_FOUND_FAILED = 1000;

/** What a store says now of an unsettled delivery that was looked up (undefined: it is gone). */
export interface UnsettledLookup {
  state: DeliveryState;
  leaseUntil: number | null;
  /** Why it failed, when it did (its last failed settlement). */
  reason?: string;
}
export const SETTLED: readonly DeliveryState[] = ['delivered', 'handled', 'failed', 'rejected'];

/**
 * One alert node's view: turns delivery announcements, signals and the passing of time into problem transitions.
 * Knows nothing of Node-RED; the node file feeds it and sends what it returns.
 */
export class AlertMonitor {
  private readonly tracker: ProblemTracker;
  private readonly kinds: Set<AlertKind>;
  private readonly refusals: WindowCounter;
  private readonly rejectionWindowMs: number;
  /** Unsettled deliveries: id → node, when first seen unsettled, and when to look it up in its store. */
  private readonly unsettled = new Map<string, { node: string; at: number; checkAt: number }>();
  /** Failed deliveries found by a look-up, counted before (or instead of) an announcement. */
  private readonly foundFailed = new Set<string>();
  /** Receiving nodes watched for quiet: node → last accepted delivery (or when watching began). */
  private readonly lastAccepted = new Map<string, number>();

  constructor(private readonly options: MonitorOptions) {
    this.tracker = ProblemTracker.restore(options.restored);
    this.kinds = new Set(options.kinds.filter((k) => ALERT_KINDS.includes(k)));
    this.rejectionWindowMs = options.rejectionWindowMs ?? REJECTION_WINDOW_MS;
    this.refusals = new WindowCounter(this.rejectionWindowMs);
    // Problems of kinds this node no longer watches (its dialog changed) end quietly.
    this.tracker.resolve((p) => !this.kinds.has(p.kind));
  }

  /**
   * The problems the last run left open, read once the storage answered (Redis); none is announced again. Returns the
   * keys of those now open that were not open live (for the start check, when they were read after it ran).
   */
  adopt(restored: PersistedProblems | undefined): Set<string> {
    const added = this.tracker.adopt(restored);
    this.tracker.resolve((p) => !this.kinds.has(p.kind));
    // What is open now (restored and live) is written back at once: a problem that opened before the read is kept too.
    this.persist(true);
    const open = new Set(this.tracker.list().map((p) => p.key));
    return new Set(added.filter((key) => open.has(key)));
  }

  open(): Problem[] {
    return this.tracker.list();
  }

  /** A delivery changed state (the lifecycle's announcement). */
  delivery(node: string, id: string, state: DeliveryState, at: number, reason?: string): void {
    if (!this.options.inScope(node)) return;
    if (state === 'received' || state === 'emitted') {
      const seen = this.unsettled.get(id);
      // Emitted again (a new lease) or replayed: looked up anew, and a failure after it counts again.
      this.unsettled.set(id, { node, at: seen?.at ?? at, checkAt: at + UNSETTLED_CHECK_MS });
      this.foundFailed.delete(id);
      if (state === 'received') {
        this.lastAccepted.set(node, at);
        this.resolveWhere((p) => p.kind === 'quiet' && p.node === node);
      }
      return;
    }
    if (SETTLED.includes(state)) this.unsettled.delete(id);
    // Already counted when its store was looked at first.
    if (state === 'failed' && this.foundFailed.delete(id)) return;
    if (SUCCEEDED.includes(state)) this.resolveWhere((p) => p.kind === 'delivery-failed' && p.node === node);
    else if (state === 'failed') this.report({ kind: 'delivery-failed', node, reason: reason ?? '' }, at, 1, id);
  }

  /** Unsettled deliveries the store already held at start, with when they arrived. */
  knownUnsettled(node: string, id: string, receivedAt: number): void {
    if (this.options.inScope(node)) this.unsettled.set(id, { node, at: receivedAt, checkAt: receivedAt });
  }

  /**
   * Unsettled deliveries to look up in their store now, oldest first: those older than Backlog after (purged or
   * erased ones must not keep a backlog open) and those whose time to be looked at came (their attempts may be spent).
   */
  dueForLookup(now: number, limit: number): { id: string; node: string }[] {
    return [...this.unsettled]
      .filter(([, { at, checkAt }]) => now - at >= this.options.backlogMs || checkAt <= now)
      .sort((a, b) => a[1].at - b[1].at)
      .slice(0, limit)
      .map(([id, { node }]) => ({ id, node }));
  }

  /** What the store said of a delivery `dueForLookup` named: settled without an announcement, gone, or still waiting. */
  lookedUp(id: string, found: UnsettledLookup | undefined, now: number): void {
    const entry = this.unsettled.get(id);
    if (!entry) return; // announced meanwhile
    if (!found) {
      this.unsettled.delete(id);
      return;
    }
    if (SETTLED.includes(found.state)) {
      this.delivery(entry.node, id, found.state, now, found.reason);
      if (found.state !== 'failed') return;
      this.foundFailed.add(id);
      for (const oldest of this.foundFailed) {
        if (this.foundFailed.size <= MAX_FOUND_FAILED) break;
        this.foundFailed.delete(oldest);
      }
      return;
    }
    const leaseEnds = found.leaseUntil ?? now + UNLEASED_CHECK_MS;
    entry.checkAt = Math.max(leaseEnds, now) + UNSETTLED_CHECK_MS;
  }

  /** What the rest of the package reported (refusals, store health, CRM credentials). */
  signal(signal: AlertSignal, at: number): void {
    switch (signal.type) {
      case 'refused': {
        if (!this.options.inScope(signal.node)) return;
        const count = this.refusals.add(signal.node, at);
        const facts = { kind: 'rejections' as const, node: signal.node, provider: signal.provider };
        if (this.tracker.isOpen(facts)) this.tracker.recount(problemKey(facts), count, at);
        else if (count >= this.options.rejections) this.report(facts, at, count);
        else return;
        this.persist();
        return;
      }
      case 'store-health':
        if (!this.options.inScope(signal.node)) return;
        if (signal.ok) this.resolveWhere((p) => p.kind === 'store-unavailable' && p.node === signal.node);
        else this.report({ kind: 'store-unavailable', node: signal.node, reason: signal.reason }, at);
        return;
      case 'credentials-refused':
        this.report({ kind: 'crm-credentials', account: signal.account, reason: signal.reason }, at);
        return;
      case 'account-started':
        this.resolveWhere((p) => p.kind === 'crm-credentials' && p.account === signal.account);
        return;
    }
  }

  /**
   * The clock: quiet nodes, the backlog, and refusal windows that emptied. `receivingNodes` are the receiving nodes
   * deployed now; a node starts being watched for quiet from the first tick that sees it.
   */
  tick(now: number, receivingNodes: readonly string[]): void {
    const watched = receivingNodes.filter((n) => this.options.inScope(n));
    for (const node of watched) if (!this.lastAccepted.has(node)) this.lastAccepted.set(node, now);
    if (this.options.quietMs > 0) {
      for (const node of watched) {
        if (now - this.lastAccepted.get(node)! >= this.options.quietMs) this.report({ kind: 'quiet', node }, now, 0);
      }
    }
    // A node no longer deployed is neither quiet nor refused.
    this.resolveWhere((p) => (p.kind === 'quiet' || p.kind === 'rejections') && !watched.includes(p.node ?? ''));
    // The last refusal's time is persisted with the problem: a restart does not end it early.
    this.resolveWhere((p) => p.kind === 'rejections' && now - p.lastAt >= this.rejectionWindowMs);

    const oldest = new Map<string, { at: number; count: number }>();
    for (const { node, at } of this.unsettled.values()) {
      if (now - at < this.options.backlogMs) continue;
      const seen = oldest.get(node) ?? { at, count: 0 };
      oldest.set(node, { at: Math.min(seen.at, at), count: seen.count + 1 });
    }
    for (const [node, { count }] of oldest) {
      const facts = { kind: 'backlog' as const, node };
      if (this.tracker.isOpen(facts)) this.tracker.recount(problemKey(facts), count, now);
      else this.report(facts, now, count);
    }
    this.resolveWhere((p) => p.kind === 'backlog' && !oldest.has(p.node ?? ''));
  }

  /**
   * At start, what the last run left open but is no longer true: `stillTrue` answers per problem (a store now
   * healthy, a node gone, an account not refused, a node whose latest delivery succeeded).
   */
  recheck(stillTrue: (problem: Problem) => boolean): void {
    this.resolveWhere((p) => !stillTrue(p));
  }

  private report(facts: Parameters<ProblemTracker['report']>[0], at: number, count = 1, delivery?: string): void {
    if (!this.kinds.has(facts.kind)) return;
    const transition = this.tracker.report(facts, at, count, delivery);
    // Kept before it is told: a crash right after the message must not forget the problem.
    this.persist(Boolean(transition));
    if (transition) this.options.transition(transition);
  }

  private resolveWhere(which: (p: Problem) => boolean): void {
    const resolved = this.tracker.resolve(which);
    if (resolved.length) this.persist(true);
    for (const t of resolved) this.options.transition(t);
  }

  private persist(transition = false): void {
    this.options.changed(this.tracker.toJSON(), transition);
  }
}
