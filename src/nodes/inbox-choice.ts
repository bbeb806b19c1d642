import type { NodeAPI } from 'node-red';
import type { Durability, StoreHealth } from '../inbox/redis';
import { InboxUnavailableError, type InboxStore } from '../inbox/types';
import { openInbox } from './inbox-service';
import type { RedisStoreNode } from './redis-store-node';

/** What `sales webhook` writes to: the embedded SQLite file, or the shared Redis store its `store` property names. */
export interface ChosenInbox {
  store: InboxStore;
  release(): Promise<void>;
  /**
   * Follows the store's health without waiting for a request: `failed` when it cannot write (red status),
   * `works` when it can again, `caution` when it writes but cannot promise the disk (text) or can (undefined).
   */
  watch(handlers: { failed(err: Error): void; works(): void; caution(text: string | undefined): void }): void;
}

/** A store that answers 503 with the reason: a node whose chosen store is missing never falls back to another. */
class UnavailableStore implements InboxStore {
  readonly kind = 'unavailable';
  constructor(readonly location: string, private readonly reason: string) {}
  private fail(): Promise<never> {
    return Promise.reject(new InboxUnavailableError(this.reason));
  }
  ready() { return this.fail(); }
  accept() { return this.fail(); }
  logRejected() { /* nowhere to log */ }
  markEmitted() { return this.fail(); }
  noteLeads() { /* nowhere to note */ }
  settle() { return this.fail(); }
  claimDue() { return this.fail(); }
  requestReplay() { return this.fail(); }
  list() { return this.fail(); }
  get() { return this.fail(); }
  ids() { return this.fail(); }
  erase() { return this.fail(); }
  purge() { return this.fail(); }
  close() { return Promise.resolve(); }
}

interface HealthyStore extends InboxStore {
  health: StoreHealth;
  durability: Durability;
  onHealth(listener: (health: StoreHealth) => void): () => void;
}

/**
 * The store of a `sales webhook` node: `storeId` empty → the embedded file (openInbox); otherwise the store of that
 * `sales-webhook-redis` config node, shared with the other nodes naming it (the config node closes it).
 */
export function openChosenInbox(RED: NodeAPI, storeId: string | undefined, warn: (text: string) => void): ChosenInbox {
  if (!storeId) {
    const embedded = openInbox(RED, warn);
    return { store: embedded.store, release: embedded.release, watch: () => undefined };
  }
  const configNode = RED.nodes.getNode(storeId) as RedisStoreNode | null;
  if (!configNode?.store) {
    const reason = configNode?.configError ?? RED._('sales-webhook-in.errors.store-missing');
    return { store: new UnavailableStore('redis', reason), release: () => Promise.resolve(), watch: () => undefined };
  }
  const store = configNode.store as unknown as HealthyStore;
  let unsubscribe: (() => void) | undefined;
  return {
    store,
    release() {
      unsubscribe?.();
      return Promise.resolve();
    },
    watch({ failed, works, caution }) {
      const show = (health: StoreHealth) => {
        if (!health.ok) return failed(new InboxUnavailableError(health.reason ?? 'Redis is not reachable'));
        caution(store.durability.warning ? RED._('sales-webhook-in.status.store-not-durable') : undefined);
        works();
      };
      unsubscribe = store.onHealth(show);
      store.ready().then(() => show(store.health), () => undefined);
    },
  };
}
