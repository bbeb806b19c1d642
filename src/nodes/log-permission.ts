import type { NodeAPI } from 'node-red';
import { hasPermission } from '../log/filter';
import { LOG_CATALOG } from './admin-guard';

export type AdminReq = {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
  user?: unknown;
  authInfo?: { scope?: unknown };
};
export type AdminRes = { status(code: number): AdminRes; json(body: unknown): void };
type Next = () => void;

/**
 * The middleware of a delivery-log admin route: Node-RED's own authentication first (401 without a session when
 * adminAuth is on), then the permission, refused with a 403 that names it and an audit line.
 */
export function requireLogPermission(RED: NodeAPI, permission: string, action: string) {
  const authenticated = RED.auth.needsPermission('') as unknown as (req: AdminReq, res: AdminRes, next: Next) => void;
  return [
    authenticated,
    (req: AdminReq, res: AdminRes, next: Next) => {
      // No user: adminAuth is off (Node-RED's needsPermission lets such requests through the same way).
      if (!req.user || hasPermission(req.authInfo?.scope, permission)) return next();
      // Node-RED's audit log takes any fields; its type declares only the level-and-message ones.
      RED.log.audit({ event: 'sales-webhooks.permission.fail', permissions: permission } as never, req as never);
      res.status(403).json({
        error: RED._(`${LOG_CATALOG}:sales-webhooks-log.errors.permission`, {
          permission,
          action: RED._(`${LOG_CATALOG}:sales-webhooks-log.action.${action}`),
        }),
      });
    },
  ];
}
