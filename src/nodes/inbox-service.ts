import type { NodeAPI } from 'node-red';
import type { SqliteInboxStore } from '../inbox';
import type { InboxSettings } from '../inbox/settings';
import { inboxConsumers } from '../delivery/registry';
import { inboxSettingsOf, type StoreSettings } from '../delivery/acquireStore';

/** Set to 1 to serve the stores' group-commit counts at GET <httpAdminRoot>/sales-webhooks/inbox-stats (the bench reads them). */
export const STATS_ENV = 'SALES_WEBHOOKS_INBOX_STATS';

export function inboxSettings(RED: NodeAPI): InboxSettings {
  return inboxSettingsOf(RED.settings as unknown as StoreSettings);
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
