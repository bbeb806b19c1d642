import type { NodeAPI } from 'node-red';
import { subscribeToAnnouncements } from '../delivery/announce';
import { inboxConsumers } from '../delivery/registry';
import { SETTLED_STATES, type InboxStore } from '../inbox/types';
import { resolveMetricsSettings, salesWebhookMetrics } from '../metrics/metrics';
import { READ_PERMISSION } from './delivery-log-routes';

/** More unsettled deliveries than this are counted as this many: a scrape must stay cheap. */
const UNSETTLED_COUNT_LIMIT = 1_000_000;

/**
 * GET /sales-webhooks/metrics (under httpAdminRoot) in the Prometheus text format: behind adminAuth's
 * `sales-webhooks.read` unless settings.js says `salesWebhooks: { metrics: { open: true } }`.
 */
export function registerMetricsRoute(RED: NodeAPI): void {
  const settings = resolveMetricsSettings((RED.settings as unknown as { salesWebhooks?: unknown }).salesWebhooks);
  for (const warning of settings.warnings) RED.log.warn(warning);
  // Announcements name the node; its source names the platform.
  const providerOf = (nodeId: string) =>
    (RED.nodes.getNode(nodeId) as { source?: { profile?: { id: string } } } | null)?.source?.profile?.id ?? 'unknown';
  // Only settled states count: the node is looked up for those alone (received and emitted are most announcements).
  subscribeToAnnouncements(({ node, state }) => {
    if (SETTLED_STATES.includes(state)) salesWebhookMetrics.countState(providerOf(node), state);
  });
  salesWebhookMetrics.countUnsettledWith(async () => {
    const stores = new Set<InboxStore>(inboxConsumers().map((consumer) => consumer.store));
    let unsettled = 0;
    for (const store of stores) {
      if (!store.health().ok) continue;
      for (const state of ['received', 'emitted'] as const)
        unsettled += (await store.ids({ state, limit: UNSETTLED_COUNT_LIMIT })).length;
    }
    return unsettled;
  });
  const permission = settings.open ? [] : [RED.auth.needsPermission(READ_PERMISSION)];
  RED.httpAdmin.get('/sales-webhooks/metrics', ...permission, (_req, res) => {
    salesWebhookMetrics.exposition().then(
      ({ contentType, text }) => res.set('content-type', contentType).send(text),
      (err: Error) => {
        RED.log.error(`sales-webhooks metrics: ${err.message}`);
        res.status(500).json({ error: RED._('sales-webhooks-log.errors.metricsFailed') });
      },
    );
  });
}
