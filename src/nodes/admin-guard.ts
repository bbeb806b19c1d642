import type { NodeAPI } from 'node-red';
import { guardAdminRoutes } from '../admin/guard';

/** Called first by every module that adds admin routes: cross-site requests and non-JSON bodies never reach them. */
export function guardPackageAdminRoutes(RED: NodeAPI): void {
  guardAdminRoutes(RED.httpAdmin as never, RED.settings as { httpAdminCors?: unknown });
}
