import type { DeliveryRecord, SettleRecord } from '../inbox/types';
import type { AlertKind, Problem } from './problems';

/**
 * "Replay these" on an open problem: which kinds have deliveries that a replay can help, and which deliveries.
 * Only `delivery-failed`: its deliveries are failed and stored. A backlog's deliveries are still in progress (their
 * lease emits them again; a replay would send them twice); a store that could not write stored nothing; refused
 * requests, a quiet node and refused credentials have no deliveries of their own (after credentials are fixed, the
 * leads they held back are the failed deliveries of the nodes that send to that account: their delivery-failed
 * problem stays open until one succeeds, with its own button).
 */
export const REPLAYABLE_KINDS: readonly AlertKind[] = ['delivery-failed'];

/** A delivery's last failed settlement (why it failed, and when). */
export function lastFailure(settlements: readonly SettleRecord[]): SettleRecord | undefined {
  let last: SettleRecord | undefined;
  for (const s of settlements) if (s.state === 'failed' && (!last || s.at >= last.at)) last = s;
  return last;
}

/** What "Replay these" reads of the store of the problem's node. */
export interface ReplaySource {
  get(id: string): Promise<DeliveryRecord | undefined>;
}

/**
 * The deliveries a problem is about, to be replayed: those it counted (their ids, not a time window and a reason that
 * a split delivery's last part may not carry), of its node and failed now (one replayed meanwhile is left alone).
 */
export async function deliveriesOfProblem(problem: Problem, store: ReplaySource): Promise<string[]> {
  if (!REPLAYABLE_KINDS.includes(problem.kind) || !problem.node) return [];
  const ids: string[] = [];
  for (const id of [...(problem.deliveries ?? [])]) {
    const record = await store.get(id);
    if (record?.node === problem.node && record.state === 'failed') ids.push(id);
  }
  return ids;
}
