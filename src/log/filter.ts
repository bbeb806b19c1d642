import {
  DEFAULT_STATS_PERIOD,
  DELIVERY_STATES,
  STATS_PERIODS,
  type DeliveryFilter,
  type DeliveryState,
  type DeliverySummary,
  type StatsPeriod,
} from '../inbox/types';

/**
 * The delivery log's request rules, without Node-RED: what a filter may hold, how lists from several stores merge,
 * who may read or change the log. Errors carry the HTTP status and a message key (nodes/locales/…/sales-webhooks-log.json).
 */

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
/** "Replay every failed delivery matching the filter" replays at most this many at once. */
export const MAX_REPLAY = 10000;
const MAX_TEXT = 200;

export class DeliveryLogError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 503,
    readonly key: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(`${key} ${JSON.stringify(params)}`);
    this.name = 'DeliveryLogError';
  }
}

/** A query string value: express gives a string, an array for a repeated name, or an object for `a[b]=`. */
function single(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new DeliveryLogError(400, 'errors.once', { name });
  const trimmed = value.trim();
  if (trimmed.length > MAX_TEXT) throw new DeliveryLogError(400, 'errors.tooLong', { name, max: MAX_TEXT });
  return trimmed || undefined;
}

/** An ISO 8601 date(-time) or epoch milliseconds. */
function parseTime(input: Record<string, unknown>, name: 'from' | 'to'): number | undefined {
  const text = single(input, name);
  if (text === undefined) return undefined;
  const time = /^\d+$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isSafeInteger(time)) throw new DeliveryLogError(400, 'errors.time', { name, value: text });
  return time;
}

/**
 * The list's query (`provider`, `node`, `state`, `q`, `from`, `to`, `limit`) as a store filter.
 * `providers` are the platform ids this package knows; anything else is named in the error with the choices.
 */
export function parseDeliveryFilter(input: Record<string, unknown>, providers: readonly string[]): DeliveryFilter {
  const filter: DeliveryFilter = {};
  const provider = single(input, 'provider');
  if (provider !== undefined) {
    if (!providers.includes(provider))
      throw new DeliveryLogError(400, 'errors.provider', { value: provider, choices: providers.join(', ') });
    filter.provider = provider;
  }
  const node = single(input, 'node');
  if (node !== undefined) filter.node = node;
  const state = single(input, 'state');
  if (state !== undefined) {
    if (!(DELIVERY_STATES as readonly string[]).includes(state))
      throw new DeliveryLogError(400, 'errors.state', { value: state, choices: DELIVERY_STATES.join(', ') });
    filter.state = state as DeliveryState;
  }
  const q = single(input, 'q');
  if (q !== undefined) filter.q = q;
  const from = parseTime(input, 'from');
  const to = parseTime(input, 'to');
  if (from !== undefined && to !== undefined && from > to) throw new DeliveryLogError(400, 'errors.range');
  if (from !== undefined) filter.from = from;
  if (to !== undefined) filter.to = to;
  const limit = single(input, 'limit');
  if (limit !== undefined) {
    const n = /^\d+$/.test(limit) ? Number(limit) : NaN;
    if (!(n >= 1 && n <= MAX_LIST_LIMIT))
      throw new DeliveryLogError(400, 'errors.limit', { value: limit, max: MAX_LIST_LIMIT });
    filter.limit = n;
  }
  return filter;
}

/** The filter of "replay every … delivery matching": failed unless a state is named; a refused request never replays. */
export const DEFAULT_REPLAY_STATE: DeliveryState = 'failed';
/** The period of the log's health (`hour`, `day` or `week`; a day when absent). */
export function parseStatsPeriod(value: unknown): StatsPeriod {
  if (value === undefined || value === '') return DEFAULT_STATS_PERIOD;
  if (typeof value === 'string' && Object.hasOwn(STATS_PERIODS, value)) return value as StatsPeriod;
  throw new DeliveryLogError(400, 'errors.period', {
    value: String(value).slice(0, 20),
    choices: Object.keys(STATS_PERIODS).join(', '),
  });
}

export function replayFilter(filter: DeliveryFilter): DeliveryFilter {
  const state = filter.state ?? DEFAULT_REPLAY_STATE;
  if (state === 'rejected') throw new DeliveryLogError(400, 'errors.replayRejected');
  return { ...filter, state, limit: MAX_REPLAY };
}

/** The address whose data is erased: one `@` with text on both sides, no spaces. */
export function parseErasureEmail(body: unknown): string {
  const email = (body as { email?: unknown } | null | undefined)?.email;
  if (typeof email !== 'string' || !email.trim()) throw new DeliveryLogError(400, 'errors.emailMissing');
  const trimmed = email.trim();
  if (trimmed.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(trimmed))
    throw new DeliveryLogError(400, 'errors.emailInvalid', { value: trimmed.slice(0, 60) });
  return trimmed;
}

/** Newer first; within the same millisecond the later id (row ids grow) first. */
function newerFirst(a: DeliverySummary, b: DeliverySummary): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? 1 : -1;
  const [x, y] = [Number(a.id), Number(b.id)];
  if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return y - x;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** One list from the lists of several stores, newest first, at most `limit` rows. */
export function mergeNewestFirst(lists: DeliverySummary[][], limit: number): DeliverySummary[] {
  return lists.flat().sort(newerFirst).slice(0, limit);
}

/**
 * Node-RED's own rule (@node-red/editor-api auth/permissions.js), so a refusal can be a 403 that names the missing
 * permission rather than Node-RED's bare 401: `*`, the exact name, or `read`/`write` for every `….read`/`….write`.
 */
export function hasPermission(scope: unknown, permission: string): boolean {
  if (Array.isArray(scope)) return scope.some((s) => hasPermission(s, permission));
  if (scope === '*' || scope === permission) return true;
  if (scope === 'read' || scope === '*.read') return /^((.+)\.)?read$/.test(permission);
  if (scope === 'write' || scope === '*.write') return /^((.+)\.)?write$/.test(permission);
  return false;
}
