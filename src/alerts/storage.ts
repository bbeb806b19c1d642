import { createClient } from 'redis';
import { normalisePrefix, redactRedisUrl } from '../inbox/redis';
import { PersistedAlerts } from './persisted';
import type { PersistedProblems } from './problems';

/**
 * Where one alert node's open problems live: with the inbox. The embedded store's: a JSON file beside its file; the
 * runtime's Redis (settings.js `salesWebhooks.inbox.redis`): the hash `<prefix>:alerts`, one field per alert node, so
 * every instance on that Redis sees the same open problems. The only coupling to the stores: their settings.
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
  const client = createClient({
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
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  const ready = async () => {
    if (!(await connected) || !client.isReady)
      throw new Error(`Redis at ${redactRedisUrl(settings.url)} is not reachable`);
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
      if (await connected) await client.quit().catch(() => undefined);
    },
  };
}
