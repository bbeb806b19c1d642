import { acquireSqliteInbox, releaseInbox, type SqliteInboxStore } from '../inbox';
import { MemoryInboxStore } from '../inbox/memory';
import { RedisInboxStore, type Durability } from '../inbox/redis';
import { resolveInboxSettings, type InboxSettings } from '../inbox/settings';
import { InboxUnavailableError, type InboxStore, type RetentionPolicy, type StoreHealth } from '../inbox/types';

/** Overrides this instance's consumer name (default hostname-pid): set it per instance, never in the shared flow. */
export const INSTANCE_ID_ENV = 'SALES_WEBHOOKS_INSTANCE_ID';
/** How often retention runs (and, for the embedded file, once right after the store opens). */
const PURGE_INTERVAL_MS = 60_000;

/** settings.js as far as the stores read it: its `salesWebhooks` section and the user directory. */
export interface StoreSettings {
  salesWebhooks?: unknown;
  userDir?: string;
}

/** What a `sales-webhook-redis` config node holds: its store, or why it has none (in the dialog's words). */
export interface ConfiguredStore {
  store?: RedisInboxStore;
  configError?: string;
}

/** The user-facing texts store acquisition needs, in the runtime's language. */
export interface StoreTexts {
  /** The Redis store a node names no longer exists. */
  storeMissing(): string;
  /** The context store holding a node's duplicate keys could not be read. */
  contextProblem(contextStore: string): string;
  /** Redis acknowledges writes it may lose. */
  storeNotDurable(): string;
}

/** What acquiring a receiving node's store needs of its runtime (Node-RED, or a test). */
export interface StoreRuntime {
  settings: StoreSettings;
  /** The config node `id` names, or null when there is none. */
  configuredStore(id: string): ConfiguredStore | null;
  /** The node's duplicate keys saved before a restart (a context store), and saving them. */
  loadKeys(callback: (err: Error | undefined, value: unknown) => void): void;
  saveKeys(value: unknown, callback: () => void): void;
  warn(text: string): void;
  texts: StoreTexts;
}

export function inboxSettingsOf(settings: StoreSettings): InboxSettings {
  return resolveInboxSettings(settings.salesWebhooks, settings.userDir);
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
  deliveryStats() {
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

/** A durable store held by a node, with how to let go of it. */
interface HeldStore {
  store: InboxStore;
  release(): Promise<void>;
  /** Follows whether a Redis store can promise the disk: `text` when it cannot, undefined when it can. */
  watchDurability(caution: (text: string | undefined) => void): void;
}

const purgers = new Map<SqliteInboxStore, { timer: NodeJS.Timeout; users: number }>();

function startPurging(store: SqliteInboxStore, policy: RetentionPolicy, warn: (text: string) => void): void {
  const entry = purgers.get(store);
  if (entry) {
    entry.users++;
    return;
  }
  let purging = false;
  // Chunked in the store (a few hundred rows per transaction), so deliveries are committed between steps.
  const purge = () => {
    if (purging) return;
    purging = true;
    store
      .purge(policy)
      .catch((err: Error) => warn(err.message))
      .finally(() => {
        purging = false;
      });
  };
  const timer = setInterval(purge, PURGE_INTERVAL_MS);
  timer.unref?.();
  setImmediate(purge);
  purgers.set(store, { timer, users: 1 });
}

function stopPurging(store: SqliteInboxStore): void {
  const entry = purgers.get(store);
  if (!entry || --entry.users > 0) return;
  clearInterval(entry.timer);
  purgers.delete(store);
}

/** The embedded file (one store per file, shared), with retention running in the background. */
function acquireEmbedded(runtime: StoreRuntime): HeldStore {
  const settings = inboxSettingsOf(runtime.settings);
  for (const warning of settings.warnings) runtime.warn(warning);
  const store = acquireSqliteInbox(settings.file);
  startPurging(store, settings.retention, runtime.warn);
  let released = false;
  return {
    store,
    release() {
      if (released) return Promise.resolve();
      released = true;
      stopPurging(store);
      return releaseInbox(store);
    },
    watchDurability: () => undefined,
  };
}

/**
 * `salesWebhooks.inbox.redis` in settings.js: one Redis store for every `sales webhook` node of the runtime that
 * names none (the password from an environment variable, as settings.js allows).
 */
export interface RuntimeRedisSettings {
  url: string;
  prefix?: string;
  tls?: boolean;
  username?: string;
  password?: string;
}

export function runtimeRedisSettings(settings: StoreSettings): RuntimeRedisSettings | undefined {
  const redis = ((settings.salesWebhooks as { inbox?: { redis?: unknown } } | undefined)?.inbox?.redis ?? undefined) as
    RuntimeRedisSettings | undefined;
  return redis && typeof redis.url === 'string' && redis.url.trim() ? redis : undefined;
}

const runtimeStores = new Map<string, { store: RedisInboxStore; users: number; timer: NodeJS.Timeout }>();

/** One store per server and prefix for the runtime, shared by the nodes using it; closed when the last lets go. */
function acquireRuntimeRedis(
  runtime: StoreRuntime,
  settings: RuntimeRedisSettings,
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
        if (store.durability.warning) runtime.warn(store.durability.warning);
      },
      () => undefined,
    );
    const { retention } = inboxSettingsOf(runtime.settings);
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

/** Adds the durability watch to a Redis store handle. */
function watched(runtime: StoreRuntime, handle: { store: RedisInboxStore; release(): Promise<void> }): HeldStore {
  const store = handle.store as unknown as HealthyStore;
  let unsubscribe: (() => void) | undefined;
  return {
    store,
    release() {
      unsubscribe?.();
      return handle.release();
    },
    watchDurability(caution) {
      const show = (health: StoreHealth) => {
        if (health.ok) caution(store.durability.warning ? runtime.texts.storeNotDurable() : undefined);
      };
      unsubscribe = store.onHealthChange(show);
      store.ready().then(
        () => show(store.health()),
        () => undefined,
      );
    },
  };
}

/**
 * The durable store of a `sales webhook` node: `storeId` empty → the runtime's Redis when settings.js names one,
 * else the embedded file; otherwise the store of that `sales-webhook-redis` config node (which closes it).
 */
function acquireDurableStore(runtime: StoreRuntime, storeId: string | undefined): HeldStore {
  if (!storeId) {
    const runtimeWide = runtimeRedisSettings(runtime.settings);
    if (runtimeWide) return watched(runtime, acquireRuntimeRedis(runtime, runtimeWide));
    return acquireEmbedded(runtime);
  }
  const configured = runtime.configuredStore(storeId);
  if (!configured?.store) {
    const reason = configured?.configError ?? runtime.texts.storeMissing();
    return {
      store: new UnavailableStore('redis', reason),
      release: () => Promise.resolve(),
      watchDurability: () => undefined,
    };
  }
  return watched(runtime, { store: configured.store, release: () => Promise.resolve() });
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

export interface ReceivingStoreOptions {
  /** The receiving node's id: the memory store keeps its duplicate keys under it. */
  node: string;
  inbox: boolean;
  storeId?: string;
  /** The context store named in the dialog (for the error text); the runtime reads and writes it. */
  contextStore?: string;
  duplicateWindowMs: number;
  duplicateLimit: number;
  /** Whether the store can promise the disk: a text when it cannot. */
  caution(text: string | undefined): void;
}

const SAVE_DELAY_MS = 2000;

/**
 * The one place the inbox-on/off choice is taken. On: the embedded file, a Redis config node or the runtime's
 * Redis. Off: a memory store of the node's own, its duplicate keys saved through the runtime (a context store).
 * Health reaches the node through the lifecycle (the store's own health); this only adds Redis's durability.
 */
export function acquireReceivingStore(runtime: StoreRuntime, options: ReceivingStoreOptions): ReceivingStore {
  if (options.inbox) {
    const held = acquireDurableStore(runtime, options.storeId);
    held.watchDurability(options.caution);
    return { store: held.store, restored: Promise.resolve(), keysChanged: () => undefined, release: held.release };
  }
  const store = new MemoryInboxStore();
  const { node, contextStore, duplicateWindowMs, duplicateLimit } = options;
  const contextProblem = () => runtime.warn(runtime.texts.contextProblem(contextStore ?? 'default'));
  const restored = new Promise<void>((resolve) => {
    if (duplicateWindowMs === 0) return resolve();
    try {
      runtime.loadKeys((err, value) => {
        if (err) contextProblem();
        else store.restoreKeys(node, value, duplicateWindowMs, duplicateLimit);
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
    runtime.saveKeys(store.rememberedKeys(node), () => callback?.());
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
