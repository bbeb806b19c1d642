/**
 * The open problems an alert node tells a flow about: one `open` when a problem starts, one `resolved` when it ends,
 * never one per failure (a repeat only counts). Pure: the caller brings the facts and the clock, and keeps the
 * persisted form (toJSON / restore) beside its inbox so open problems survive a restart.
 */

import { MAX_REPLAY } from '../log/filter';

export const ALERT_KINDS = [
  'delivery-failed',
  'crm-credentials',
  'store-unavailable',
  'backlog',
  'quiet',
  'rejections',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** What identifies a problem and what the message tells about it. */
export interface ProblemFacts {
  kind: AlertKind;
  /** The node it is about (a receiving node), if any. */
  node?: string;
  /** The CRM account it is about (crm-credentials). */
  account?: string;
  provider?: string;
  /** Why, in the words of whoever reported it (a CRM's answer, a store's reason); groups delivery-failed. */
  reason?: string;
}

export interface Problem extends ProblemFacts {
  key: string;
  /** When it opened (ms since the epoch). */
  since: number;
  /** How many times it was seen while open (failures, refused requests, …). */
  count: number;
  /** When it was last seen. */
  lastAt: number;
  /** delivery-failed: the ids of the failed deliveries it counted, the latest MAX_PROBLEM_DELIVERIES ("Replay these"). */
  deliveries?: string[];
}

export interface Transition {
  state: 'open' | 'resolved';
  problem: Problem;
}

/** The persisted form (JSON), versioned so a later package can read what this one wrote. */
export interface PersistedProblems {
  version: 1;
  problems: Problem[];
}

/** Long numbers, UUIDs and e-mail addresses vary per delivery: a reason groups without them. */
const VARYING = /[\w.+-]+@[\w-]+(\.[\w-]+)+|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\d{5,}/gi;
const MAX_REASON = 200;
/** As many as one replay takes: "Replay these" replays what its problem counted, the latest first to go beyond. */
export const MAX_PROBLEM_DELIVERIES = MAX_REPLAY;

/** The form of a reason problems are grouped by (and the only form kept: no personal data in the persisted file). */
export function groupingReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  const plain = reason.replace(VARYING, '…').replace(/\s+/g, ' ').trim();
  return plain.length > MAX_REASON ? `${plain.slice(0, MAX_REASON - 1)}…` : plain;
}

export function problemKey(facts: ProblemFacts): string {
  const reason = facts.kind === 'delivery-failed' ? groupingReason(facts.reason) : undefined;
  return JSON.stringify([facts.kind, facts.node ?? '', facts.account ?? '', reason ?? '']);
}

export class ProblemTracker {
  private readonly open = new Map<string, Problem>();

  /**
   * Opens the problem (a transition), or counts it again while it is open (none). `delivery`: the id of the failed
   * delivery counted, remembered so "Replay these" replays exactly what the problem counted.
   */
  report(facts: ProblemFacts, now: number, count = 1, delivery?: string): Transition | undefined {
    const key = problemKey(facts);
    const existing = this.open.get(key);
    if (existing) {
      existing.count += count;
      existing.lastAt = now;
      if (delivery !== undefined) remember(existing, delivery);
      return undefined;
    }
    const problem: Problem = {
      ...definedOnly(facts),
      reason: groupingReason(facts.reason),
      key,
      since: now,
      count,
      lastAt: now,
    };
    if (problem.reason === undefined) delete problem.reason;
    if (delivery !== undefined) remember(problem, delivery);
    this.open.set(key, problem);
    return { state: 'open', problem: copy(problem) };
  }

  /** Sets the count of an open problem to what a window holds now (rejections, backlog), without a transition. */
  recount(key: string, count: number, now: number): void {
    const problem = this.open.get(key);
    if (problem) {
      problem.count = count;
      problem.lastAt = now;
    }
  }

  /** Resolves every open problem the predicate picks; one transition each. */
  resolve(which: (problem: Problem) => boolean): Transition[] {
    const resolved: Transition[] = [];
    for (const [key, problem] of this.open) {
      if (!which(problem)) continue;
      this.open.delete(key);
      resolved.push({ state: 'resolved', problem: copy(problem) });
    }
    return resolved;
  }

  isOpen(facts: ProblemFacts): boolean {
    return this.open.has(problemKey(facts));
  }

  list(): Problem[] {
    return this.sorted().map(copy);
  }

  /** Written when convenient: a delivery id counted before the write is in it too (no copy of up to 10,000 ids). */
  toJSON(): PersistedProblems {
    return { version: 1, problems: this.sorted().map((p) => ({ ...p })) };
  }

  private sorted(): Problem[] {
    return [...this.open.values()].sort((a, b) => a.since - b.since);
  }

  /** Reads what toJSON wrote; anything unreadable is left out (a damaged file must not stop the node). */
  static restore(persisted: unknown): ProblemTracker {
    const tracker = new ProblemTracker();
    tracker.adopt(persisted);
    return tracker;
  }

  /**
   * Adds what toJSON wrote (read after the start) to what is open; a problem open in both keeps the live one, with the
   * deliveries both counted. Returns the keys of the problems added.
   */
  adopt(persisted: unknown): string[] {
    const added: string[] = [];
    const problems = (persisted as Partial<PersistedProblems> | undefined)?.problems;
    if (!Array.isArray(problems)) return added;
    for (const raw of problems) {
      const p = raw as Partial<Problem>;
      if (!p || !ALERT_KINDS.includes(p.kind as AlertKind) || typeof p.since !== 'number') continue;
      const problem: Problem = {
        ...definedOnly(p as ProblemFacts),
        key: problemKey(p as ProblemFacts),
        since: p.since,
        count: typeof p.count === 'number' ? p.count : 1,
        lastAt: typeof p.lastAt === 'number' ? p.lastAt : p.since,
      };
      if (Array.isArray(p.deliveries))
        problem.deliveries = p.deliveries.filter((id) => typeof id === 'string').slice(-MAX_PROBLEM_DELIVERIES);
      const live = this.open.get(problem.key);
      if (live) {
        // The deliveries it counted before the restart are its deliveries too, the older ones.
        for (const id of live.deliveries ?? []) remember(problem, id);
        if (problem.deliveries) live.deliveries = problem.deliveries;
        continue;
      }
      this.open.set(problem.key, problem);
      added.push(problem.key);
    }
    return added;
  }
}

/** The latest counted last: a delivery that failed again moves to the end; the oldest go beyond the bound. */
function remember(problem: Problem, delivery: string): void {
  const ids = (problem.deliveries ??= []);
  const seen = ids.indexOf(delivery);
  if (seen >= 0) ids.splice(seen, 1);
  ids.push(delivery);
  if (ids.length > MAX_PROBLEM_DELIVERIES) ids.shift();
}

function copy(problem: Problem): Problem {
  return problem.deliveries ? { ...problem, deliveries: [...problem.deliveries] } : { ...problem };
}

function definedOnly(facts: ProblemFacts): ProblemFacts {
  const out: ProblemFacts = { kind: facts.kind };
  if (facts.node !== undefined) out.node = facts.node;
  if (facts.account !== undefined) out.account = facts.account;
  if (facts.provider !== undefined) out.provider = facts.provider;
  if (facts.reason !== undefined) out.reason = facts.reason;
  return out;
}

/** A sliding count of events per key over a window (refused requests per node within 5 minutes). */
export class WindowCounter {
  private readonly times = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  add(key: string, now: number): number {
    const list = this.prune(key, now);
    list.push(now);
    this.times.set(key, list);
    return list.length;
  }

  count(key: string, now: number): number {
    return this.prune(key, now).length;
  }

  private prune(key: string, now: number): number[] {
    const list = (this.times.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.times.set(key, list);
    else this.times.delete(key);
    return list;
  }
}
