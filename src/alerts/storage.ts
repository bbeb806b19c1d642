import { redisLibrary } from '../shared/libraries';
import { normalisePrefix, redactRedisUrl } from '../inbox/redis';
import { PersistedAlerts } from './persisted';
import type { PersistedProblems } from './problems';

/**
 * Where one alert node's open problems live: with the inbox. The embedded store's: a JSON file beside its file; a
 * Redis store's (settings.js `salesWebhooks.inbox.redis`, or a `sales-webhook-redis` config node): the hash
 * `<prefix>:alerts`, one field per alert node, so every instance on that Redis sees the same open problems. The only
 * coupling to the stores: their settings.
 */
export interface AlertStorage {
  /** For messages: the file, or the Redis server without credentials and the key. */
  readonly where: string;
  read(): Promise<PersistedProblems | undefined>;
  /** Nothing open removes the entry. Rejects when it cannot be written. */
  write(problems: PersistedProblems | undefined): Promise<void>;
  close(): Promise<void>;
}

export function fileAlertStorage(file: string, alertNode: string): AlertStorage {
  const persisted = new PersistedAlerts(file, alertNode);
  return {
    where: file,
    read: async () => persisted.read(),
    write: async (problems) => persisted.write(problems),
    close: async () => undefined,
  };
}

/** The alert dialog's "Keep open problems in": automatic, the runtime's default inbox, or a Redis config node. */
export const KEEP_PROBLEMS_IN = ['watched', 'runtime', 'redis-node'] as const;
export type KeepProblemsIn = (typeof KEEP_PROBLEMS_IN)[number];

/** Where open problems are kept: the runtime's default inbox (its file, or settings.js's Redis), or a config node's Redis. */
export type ProblemStore = { kind: 'default' } | { kind: 'redis'; configNode: string };

/** A receiving node as the choice reads it: whether its inbox is on, and the Redis config node it names (if any). */
export interface WatchedReceiver {
  inbox?: boolean;
  store?: string;
}

/**
 * The store of the nodes an alert node watches: the Redis config node when every one of them with an inbox names that
 * one; the default inbox otherwise (all on it, none watched, or a mix, where only an explicit choice can say which).
 */
export function problemStoreOf(
  keepIn: unknown,
  configNode: unknown,
  watched: readonly WatchedReceiver[],
): ProblemStore {
  if (keepIn === 'runtime') return { kind: 'default' };
  if (keepIn === 'redis-node' && typeof configNode === 'string' && configNode) return { kind: 'redis', configNode };
  const stores = new Set(watched.filter((r) => r.inbox !== false).map((r) => r.store || ''));
  const [only] = stores;
  return stores.size === 1 && only ? { kind: 'redis', configNode: only } : { kind: 'default' };
}

/** A store that cannot be used (its config node is missing or wrong): every read and write says why. */
export function unavailableAlertStorage(where: string, reason: string): AlertStorage {
  const fail = async () => {
    throw new Error(reason);
  };
  return { where, read: fail, write: fail, close: async () => undefined };
}

export interface RedisAlertSettings {
  url: string;
  prefix?: string;
  tls?: boolean;
  username?: string;
  password?: string;
}

const CONNECT_TIMEOUT_MS = 5_000;
const MAX_RECONNECT_DELAY_MS = 5_000;

export function redisAlertStorage(settings: RedisAlertSettings, alertNode: string): AlertStorage {
  const key = `${normalisePrefix(settings.prefix)}:alerts`;
  const url =
    settings.tls && settings.url.startsWith('redis://')
      ? `rediss://${settings.url.slice('redis://'.length)}`
      : settings.url;
  const client = redisLibrary().createClient({
    url: url.trim(),
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
  });
  // Unreachable Redis is the store's alert (store-unavailable); here a write just fails and is said once.
  client.on('error', () => undefined);
  // Pending while Redis is away (the client keeps reconnecting): a read or write waits at most the connect timeout.
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  const ready = async () => {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS);
    });
    const ok = await Promise.race([connected, gaveUp]).finally(() => clearTimeout(timer));
    if (!ok || !client.isReady) throw new Error(`Redis at ${redactRedisUrl(settings.url)} is not reachable`);
  };
  return {
    where: `${redactRedisUrl(settings.url)} ${key}`,
    async read() {
      await ready();
      const raw = await client.hGet(key, alertNode);
      if (!raw) return undefined;
      try {
        return JSON.parse(String(raw)) as PersistedProblems;
      } catch {
        return undefined;
      }
    },
    async write(problems) {
      await ready();
      if (problems && problems.problems.length) await client.hSet(key, alertNode, JSON.stringify(problems));
      else await client.hDel(key, alertNode);
    },
    async close() {
      try {
        if (client.isReady) await client.quit();
        else if (client.isOpen) client.destroy(); // still connecting (Redis away): stop trying
      } catch {
        // closing anyway
      }
    },
  };
}
