import type { NodeAPI } from 'node-red';
import { registerDeliveryLogRoutes } from './delivery-log-routes';
import { registerMetricsRoute } from './metrics-route';
import { guardPackageAdminRoutes } from './admin-guard';

/**
 * The delivery log: a Node-RED plugin. Its runtime part is the admin API; its editor part
 * (nodes/sales-webhooks-log.html) is the sidebar tab.
 */
export = function salesWebhooksLog(RED: NodeAPI): void {
  guardPackageAdminRoutes(RED);
  RED.plugins.registerPlugin('sales-webhooks-log', { type: 'sales-webhooks-log' });
  registerDeliveryLogRoutes(RED);
  registerMetricsRoute(RED);
};
