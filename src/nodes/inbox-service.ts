import type { NodeAPI } from 'node-red';
import { acquireSqliteInbox, releaseInbox, type SqliteInboxStore } from '../inbox';
import { resolveInboxSettings, type InboxSettings } from '../inbox/settings';
import type { RetentionPolicy } from '../inbox/types';
import { inboxConsumers } from '../delivery/registry';

/** How often retention runs (and once right after the store opens). */
const PURGE_INTERVAL_MS = 60_000;
/** Set to 1 to serve the stores' group-commit counts at GET <httpAdminRoot>/sales-webhooks/inbox-stats (the bench reads them). */
export const STATS_ENV = 'SALES_WEBHOOKS_INBOX_STATS';

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

export function inboxSettings(RED: NodeAPI): InboxSettings {
  const settings = RED.settings as unknown as { salesWebhooks?: unknown; userDir?: string };
  return resolveInboxSettings(settings.salesWebhooks, settings.userDir);
}

/** The store a `sales webhook` node writes to (one per file, shared), with retention running in the background. */
export function openInbox(
  RED: NodeAPI,
  warn: (text: string) => void,
): { store: SqliteInboxStore; settings: InboxSettings; release(): Promise<void> } {
  const settings = inboxSettings(RED);
  for (const warning of settings.warnings) warn(warning);
  const store = acquireSqliteInbox(settings.file);
  startPurging(store, settings.retention, warn);
  let released = false;
  return {
    store,
    settings,
    release() {
      if (released) return Promise.resolve();
      released = true;
      stopPurging(store);
      return releaseInbox(store);
    },
  };
}

/** Only for measurements: the commit and write counts of the stores in use, no personal data. */
export function registerInboxStatsRoute(RED: NodeAPI): void {
  if (process.env[STATS_ENV] !== '1') return;
  RED.httpAdmin.get('/sales-webhooks/inbox-stats', RED.auth.needsPermission('sales-webhooks.read'), (_req, res) => {
    const stores = new Map<string, { commits: number; writes: number }>();
    for (const consumer of inboxConsumers()) {
      const stats = (consumer.store as Partial<SqliteInboxStore>).stats;
      if (stats) stores.set(consumer.store.location, { ...stats });
    }
    res.json({ stores: [...stores].map(([location, stats]) => ({ location, ...stats })) });
  });
}
