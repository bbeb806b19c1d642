import type { Node, NodeAPI } from 'node-red';
import { MemoryInboxStore } from '../inbox/memory';
import { RedisInboxStore, type Durability } from '../inbox/redis';
import { InboxUnavailableError, type InboxStore, type StoreHealth } from '../inbox/types';
import { inboxSettings, openInbox } from './inbox-service';
import { INSTANCE_ID_ENV, type RedisStoreNode } from './redis-store-node';

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
  constructor(
    readonly location: string,
    private readonly reason: string,
  ) {}
  private fail(): Promise<never> {
    return Promise.reject(new InboxUnavailableError(this.reason));
  }
  ready() {
    return this.fail();
  }
  accept() {
    return this.fail();
  }
  logRejected() {
    /* nowhere to log */
  }
  markEmitted() {
    return this.fail();
  }
  noteLeads() {
    /* nowhere to note */
  }
  settle() {
    return this.fail();
  }
  claimDue() {
    return this.fail();
  }
  requestReplay() {
    return this.fail();
  }
  list() {
    return this.fail();
  }
  get() {
    return this.fail();
  }
  ids() {
    return this.fail();
  }
  erase() {
    return this.fail();
  }
  purge() {
    return this.fail();
  }
  close() {
    return Promise.resolve();
  }
  health(): StoreHealth {
    return { ok: false, reason: this.reason };
  }
  onHealthChange() {
    return () => undefined;
  }
}

interface HealthyStore extends InboxStore {
  health(): StoreHealth;
  durability: Durability;
  onHealthChange(listener: (health: StoreHealth) => void): () => void;
}

/**
 * The store of a `sales webhook` node: `storeId` empty → the embedded file (openInbox); otherwise the store of that
 * `sales-webhook-redis` config node, shared with the other nodes naming it (the config node closes it).
 */
export function openChosenInbox(RED: NodeAPI, storeId: string | undefined, warn: (text: string) => void): ChosenInbox {
  if (!storeId) {
    const runtimeWide = runtimeRedisSettings(RED);
    if (runtimeWide) return watched(RED, acquireRuntimeRedis(RED, runtimeWide, warn));
    const embedded = openInbox(RED, warn);
    return { store: embedded.store, release: embedded.release, watch: () => undefined };
  }
  const configNode = RED.nodes.getNode(storeId) as RedisStoreNode | null;
  if (!configNode?.store) {
    const reason = configNode?.configError ?? RED._('sales-webhook-in.errors.store-missing');
    return { store: new UnavailableStore('redis', reason), release: () => Promise.resolve(), watch: () => undefined };
  }
  return watched(RED, { store: configNode.store, release: () => Promise.resolve() });
}

/**
 * `salesWebhooks.inbox.redis` in settings.js: one Redis store for every `sales webhook` node of the runtime that
 * names none (the password from an environment variable, as settings.js allows).
 */
interface RuntimeRedisSettings {
  url: string;
  prefix?: string;
  tls?: boolean;
  username?: string;
  password?: string;
}

function runtimeRedisSettings(RED: NodeAPI): RuntimeRedisSettings | undefined {
  const redis = ((RED.settings as unknown as { salesWebhooks?: { inbox?: { redis?: unknown } } }).salesWebhooks?.inbox
    ?.redis ?? undefined) as RuntimeRedisSettings | undefined;
  return redis && typeof redis.url === 'string' && redis.url.trim() ? redis : undefined;
}

const PURGE_INTERVAL_MS = 60_000;
const runtimeStores = new Map<string, { store: RedisInboxStore; users: number; timer: NodeJS.Timeout }>();

/** One store per server and prefix for the runtime, shared by the nodes using it; closed when the last lets go. */
function acquireRuntimeRedis(
  RED: NodeAPI,
  settings: RuntimeRedisSettings,
  warn: (text: string) => void,
): { store: RedisInboxStore; release(): Promise<void> } {
  const key = `${settings.url}\u0000${settings.prefix ?? ''}`;
  let entry = runtimeStores.get(key);
  if (!entry) {
    const store = new RedisInboxStore({
      url: settings.url.trim(),
      prefix: settings.prefix,
      tls: settings.tls === true,
      username: settings.username || undefined,
      password: settings.password || undefined,
      consumer: process.env[INSTANCE_ID_ENV] || undefined,
    });
    store.ready().then(
      () => {
        if (store.durability.warning) warn(store.durability.warning);
      },
      () => undefined,
    );
    const { retention } = inboxSettings(RED);
    const timer = setInterval(() => {
      if (store.health().ok) store.purge(retention).catch(() => undefined);
    }, PURGE_INTERVAL_MS);
    timer.unref?.();
    entry = { store, users: 0, timer };
    runtimeStores.set(key, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    store: held.store,
    release() {
      if (released) return Promise.resolve();
      released = true;
      if (--held.users > 0) return Promise.resolve();
      clearInterval(held.timer);
      runtimeStores.delete(key);
      return held.store.close();
    },
  };
}

/** Adds the health watch to a Redis store handle. */
function watched(RED: NodeAPI, handle: { store: RedisInboxStore; release(): Promise<void> }): ChosenInbox {
  const store = handle.store as unknown as HealthyStore;
  let unsubscribe: (() => void) | undefined;
  return {
    store,
    release() {
      unsubscribe?.();
      return handle.release();
    },
    watch({ failed, works, caution }) {
      const show = (health: StoreHealth) => {
        if (!health.ok) return failed(new InboxUnavailableError(health.reason));
        caution(store.durability.warning ? RED._('sales-webhook-in.status.store-not-durable') : undefined);
        works();
      };
      unsubscribe = store.onHealthChange(show);
      store.ready().then(
        () => show(store.health()),
        () => undefined,
      );
    },
  };
}

/** What a receiving node holds: its store, and for the memory store the duplicate keys kept in a context store. */
export interface ReceivingStore {
  store: InboxStore;
  /** Resolves once duplicate keys saved before a restart are back (at once for a durable store). */
  restored: Promise<void>;
  /** A delivery was stored: the memory store's keys are saved a little later. */
  keysChanged(): void;
  release(): Promise<void>;
}

const SEEN_CONTEXT_KEY = 'salesWebhookSeenDeliveries';
const SAVE_DELAY_MS = 2000;

/**
 * The one place the inbox-on/off choice is taken. On: the embedded file, a Redis config node or the runtime's
 * Redis (openChosenInbox). Off: a memory store of the node's own, its duplicate keys saved in a context store.
 */
export function openReceivingStore(
  RED: NodeAPI,
  node: Node,
  options: {
    inbox: boolean;
    storeId?: string;
    contextStore?: string;
    duplicateWindowMs: number;
    duplicateLimit: number;
    caution(text: string | undefined): void;
  },
): ReceivingStore {
  if (options.inbox) {
    const chosen = openChosenInbox(RED, options.storeId, (text) => node.warn(text));
    // Health reaches the node through the lifecycle; the Redis watch adds whether it can promise the disk.
    chosen.watch({ failed: () => undefined, works: () => undefined, caution: options.caution });
    return { store: chosen.store, restored: Promise.resolve(), keysChanged: () => undefined, release: chosen.release };
  }
  const store = new MemoryInboxStore();
  const { contextStore, duplicateWindowMs, duplicateLimit } = options;
  const contextProblem = () =>
    node.warn(RED._('sales-webhook-in.errors.context', { store: contextStore ?? 'default' }));
  const restored = new Promise<void>((resolve) => {
    if (duplicateWindowMs === 0) return resolve();
    try {
      node.context().get(SEEN_CONTEXT_KEY, contextStore as string, (err: Error | undefined, value: unknown) => {
        if (err) contextProblem();
        else store.restoreKeys(node.id, value, duplicateWindowMs, duplicateLimit);
        resolve();
      });
    } catch {
      contextProblem();
      resolve();
    }
  });
  let saveTimer: NodeJS.Timeout | undefined;
  const save = (callback?: () => void) => {
    saveTimer = undefined;
    if (duplicateWindowMs === 0) return callback?.();
    node.context().set(SEEN_CONTEXT_KEY, store.rememberedKeys(node.id), contextStore as string, () => callback?.());
  };
  return {
    store,
    restored,
    keysChanged() {
      if (duplicateWindowMs > 0) saveTimer ??= setTimeout(save, SAVE_DELAY_MS);
    },
    release() {
      if (saveTimer) clearTimeout(saveTimer);
      return new Promise<void>((resolve) => save(resolve)).then(() => store.close());
    },
  };
}
