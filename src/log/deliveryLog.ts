import {
  InboxUnavailableError,
  STATS_PERIODS,
  collectStats,
  type DeliveryState,
  type DeliveryStats,
  type StatsPeriod,
  type DeliveryFilter,
  type DeliveryRecord,
  type DeliverySummary,
  type InboxStore,
} from '../inbox/types';
import type { InboxConsumer } from '../delivery/registry';
import { DEFAULT_LIST_LIMIT, DeliveryLogError, mergeNewestFirst, replayFilter } from './filter';

/** Where the log looks: the stores of the running nodes, plus the default file (which may hold undeployed nodes' rows). */
export interface LogSources {
  consumers(): InboxConsumer[];
  /** The embedded default store, when its file exists. */
  defaultStore(): InboxStore | undefined;
}

export interface ReplayResult {
  /** Deliveries asked to be emitted again (0 for a dry run). */
  replayed: number;
  /** Deliveries that match the filter. */
  matching: number;
  /** Of those, how many a deployed node can replay. */
  replayable: number;
  /** Nodes that own matching deliveries but are not deployed (or use another store now). */
  notDeployed: string[];
}

const storeKey = (store: InboxStore) => `${store.kind}:${store.location}`;

/**
 * The delivery log across stores: lists merged newest first, one record, replay (the store marks it due, the owning
 * node emits it) and erasure. Knows nothing of Node-RED or HTTP; errors are DeliveryLogError with a status and key.
 */
export class DeliveryLog {
  constructor(private readonly sources: LogSources) {}

  /** Each store once, however many nodes share it; a running node's instance first. */
  stores(): InboxStore[] {
    const byKey = new Map<string, InboxStore>();
    for (const { store } of this.sources.consumers())
      if (!byKey.has(storeKey(store))) byKey.set(storeKey(store), store);
    const fallback = this.sources.defaultStore();
    if (fallback && !byKey.has(storeKey(fallback))) byKey.set(storeKey(fallback), fallback);
    return [...byKey.values()];
  }

  private async eachStore<T>(read: (store: InboxStore) => Promise<T>): Promise<{ store: InboxStore; value: T }[]> {
    return Promise.all(
      this.stores().map(async (store) => {
        try {
          return { store, value: await read(store) };
        } catch (err) {
          throw unavailable(store, err);
        }
      }),
    );
  }

  async list(filter: DeliveryFilter): Promise<DeliverySummary[]> {
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    const lists = await this.eachStore((store) => store.list({ ...filter, limit }));
    return mergeNewestFirst(
      lists.map((l) => l.value),
      limit,
    );
  }

  /**
   * Deliveries by state over the period, in buckets ending with the one now is in (bucket edges are multiples of
   * its size, so two looks a minute apart count the same buckets), summed over every store.
   */
  async stats(
    filter: DeliveryFilter,
    period: StatsPeriod,
    now = Date.now(),
  ): Promise<DeliveryStats & { period: StatsPeriod }> {
    const { bucketMs, buckets: count } = STATS_PERIODS[period];
    const end = (Math.floor(now / bucketMs) + 1) * bucketMs;
    const buckets = { from: end - count * bucketMs, bucketMs, count };
    const { stats, add } = collectStats(buckets);
    for (const { value } of await this.eachStore((store) => store.deliveryStats(filter, buckets)))
      value.buckets.forEach((counts, index) => {
        for (const [state, n] of Object.entries(counts)) add(index, state as DeliveryState, n ?? 0);
      });
    return { period, ...stats };
  }

  /** The record and its store. `node` tells two stores' equal ids apart. */
  private async find(id: string, node?: string): Promise<{ store: InboxStore; record: DeliveryRecord }> {
    const found = (await this.eachStore((store) => store.get(id)))
      .filter(
        (f): f is { store: InboxStore; value: DeliveryRecord } =>
          f.value !== undefined && (node === undefined || f.value.node === node),
      )
      .map((f) => ({ store: f.store, record: f.value }));
    if (found.length === 0)
      throw new DeliveryLogError(404, node === undefined ? 'errors.notFound' : 'errors.notFoundForNode', {
        id,
        node: node ?? '',
      });
    if (found.length > 1) throw new DeliveryLogError(409, 'errors.ambiguous', { id, count: found.length });
    return found[0];
  }

  async get(id: string, node?: string): Promise<DeliveryRecord> {
    return (await this.find(id, node)).record;
  }

  /** The running node that owns deliveries of `node` in this store (none when undeployed or moved to another store). */
  private owner(node: string, store: InboxStore): InboxConsumer | undefined {
    const consumer = this.sources.consumers().find((c) => c.nodeId === node);
    return consumer && storeKey(consumer.store) === storeKey(store) ? consumer : undefined;
  }

  async replay(id: string, node?: string): Promise<{ replayed: number; id: string; node: string }> {
    const { store, record } = await this.find(id, node);
    if (record.state === 'rejected') throw new DeliveryLogError(409, 'errors.replayRejected');
    const owner = this.owner(record.node, store);
    if (!owner) throw new DeliveryLogError(409, 'errors.notDeployed', { node: record.node });
    const replayed = await guard(store, () => store.requestReplay([record.id]));
    if (replayed === 0) throw new DeliveryLogError(409, 'errors.replayRejected');
    owner.replayed(record.id);
    return { replayed, id: record.id, node: record.node };
  }

  /** Replays every delivery matching the filter (failed ones unless it names a state); `dryRun` only counts them. */
  async replayMatching(filter: DeliveryFilter, dryRun: boolean): Promise<ReplayResult> {
    const matching = replayFilter(filter);
    const result: ReplayResult = { replayed: 0, matching: 0, replayable: 0, notDeployed: [] };
    const notDeployed = new Set<string>();
    for (const { store, value: rows } of await this.eachStore((store) => store.list(matching))) {
      result.matching += rows.length;
      const byNode = new Map<string, string[]>();
      for (const row of rows) byNode.set(row.node, [...(byNode.get(row.node) ?? []), row.id]);
      for (const [node, ids] of byNode) {
        const owner = this.owner(node, store);
        if (!owner) {
          notDeployed.add(node);
          continue;
        }
        result.replayable += ids.length;
        if (dryRun) continue;
        result.replayed += await guard(store, () => store.requestReplay(ids));
        // A bulk replay is announced by its count alone; each delivery announces `emitted` as its node claims it.
        owner.poke();
      }
    }
    result.notDeployed = [...notDeployed];
    if (!dryRun && result.replayable === 0 && notDeployed.size > 0) {
      throw new DeliveryLogError(409, 'errors.noneDeployed', {
        count: result.matching,
        nodes: result.notDeployed.join(', '),
      });
    }
    return result;
  }

  /** Erases everything any store holds about the address; how many deliveries went. */
  async erase(email: string): Promise<number> {
    const erased = await this.eachStore((store) => store.erase(email));
    return erased.reduce((sum, e) => sum + e.value, 0);
  }
}

function unavailable(store: InboxStore, err: unknown): Error {
  if (err instanceof DeliveryLogError) return err;
  const reason = err instanceof InboxUnavailableError || err instanceof Error ? err.message : String(err);
  return new DeliveryLogError(503, 'errors.unavailable', { store: store.kind, location: store.location, reason });
}

async function guard<T>(store: InboxStore, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw unavailable(store, err);
  }
}
