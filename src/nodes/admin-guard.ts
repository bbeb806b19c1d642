import type { NodeAPI } from 'node-red';
import { guardAdminRoutes } from '../admin/guard';

/** The delivery log's catalog, named in full so that any module's RED._ reads it. */
export const LOG_CATALOG = 'node-red-contrib-sales-webhooks/sales-webhooks-log';

/** Called first by every module that adds admin routes: cross-site requests and non-JSON bodies never reach them. */
export function guardPackageAdminRoutes(RED: NodeAPI): void {
  // Whichever module installs it, the messages are the delivery log's (the plugin's catalog, named in full).
  guardAdminRoutes(RED.httpAdmin as never, RED.settings as { httpAdminCors?: unknown }, (reason) =>
    RED._(`${LOG_CATALOG}:sales-webhooks-log.errors.${reason}`),
  );
}
