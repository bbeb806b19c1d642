import type { DeliveryFilter, DeliveryRecord, DeliverySummary, SettleRecord } from '../inbox/types';
import { MAX_REPLAY } from '../log/filter';
import { groupingReason, type AlertKind, type Problem } from './problems';

/**
 * "Replay these" on an open problem: which kinds have deliveries that a replay can help, and which deliveries.
 * Only `delivery-failed`: its deliveries are failed and stored. A backlog's deliveries are still in progress (their
 * lease emits them again; a replay would send them twice); a store that could not write stored nothing; refused
 * requests, a quiet node and refused credentials have no deliveries of their own (after credentials are fixed, the
 * leads they held back are the failed deliveries of the nodes that send to that account: their delivery-failed
 * problem stays open until one succeeds, with its own button).
 */
export const REPLAYABLE_KINDS: readonly AlertKind[] = ['delivery-failed'];

/**
 * A failure is stamped when its settling point decided; the problem opens when the announcement arrives, after the
 * store wrote it: the failure that opened it is a little older than the problem.
 */
const DECIDED_BEFORE_ANNOUNCED_MS = 10_000;

/** Longest a delivery's attempts can take, at most: a week (a replay older than the log's retention finds nothing). */
const MAX_LIFETIME_MS = 7 * 24 * 3600_000;

/**
 * How long before a problem opened a delivery may have arrived and still failed after: its leases, each doubling,
 * until its attempts are spent (one more lease of slack for the first, unwritten emission).
 */
export function deliveryLifetimeMs(leaseMs: number, maxAttempts: number): number {
  return Math.min(MAX_LIFETIME_MS, leaseMs * 2 ** Math.max(1, maxAttempts));
}

/** A delivery's last failed settlement (why it failed, and when). */
export function lastFailure(settlements: readonly SettleRecord[]): SettleRecord | undefined {
  let last: SettleRecord | undefined;
  for (const s of settlements) if (s.state === 'failed' && (!last || s.at >= last.at)) last = s;
  return last;
}

/** What "Replay these" reads of the store of the problem's node. */
export interface ReplaySource {
  list(filter: DeliveryFilter): Promise<DeliverySummary[]>;
  get(id: string): Promise<DeliveryRecord | undefined>;
}

/**
 * The deliveries a problem is about, to be replayed: of its node, failed now, and failed at or after the problem
 * opened for the reason the problem groups (the same grouping that counted them). `lookbackMs`: how long before the
 * problem opened such a delivery may have arrived (deliveryLifetimeMs of its node).
 */
export async function deliveriesOfProblem(
  problem: Problem,
  store: ReplaySource,
  lookbackMs: number,
): Promise<string[]> {
  if (!REPLAYABLE_KINDS.includes(problem.kind) || !problem.node) return [];
  const failed = await store.list({
    node: problem.node,
    state: 'failed',
    from: problem.since - DECIDED_BEFORE_ANNOUNCED_MS - lookbackMs,
    limit: MAX_REPLAY,
  });
  const ids: string[] = [];
  for (const row of failed) {
    const record = await store.get(row.id);
    if (!record || record.state !== 'failed') continue;
    const matches = record.settlements.some(
      (s) =>
        s.state === 'failed' &&
        s.at >= problem.since - DECIDED_BEFORE_ANNOUNCED_MS &&
        groupingReason(s.reason ?? '') === (problem.reason ?? ''),
    );
    if (matches) ids.push(record.id);
  }
  return ids;
}
