import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeAPI } from 'node-red';
import {
  AdminRouteError,
  InvalidWebhookPathError,
  registerWebhookRoute,
  webhookPathProblem,
  type RouteSettings,
  type WebhookRoute,
} from './webhook-routes';

/** A path the runtime refuses, as the key of `sales-webhook-in.errors.*` and its parameters. */
export interface RouteProblem {
  problem: 'invalid-url' | 'admin-route';
  params: Record<string, string>;
}

/** Registers a receiving node's route under httpNode (see registerWebhookRoute), or says why the path is refused. */
export function registerReceivingRoute(
  RED: NodeAPI,
  url: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  onOwner: () => void,
): WebhookRoute | RouteProblem {
  try {
    return registerWebhookRoute(RED.httpNode as any, url, RED.settings as unknown as RouteSettings, handler, {
      httpAdmin: RED.httpAdmin as any,
      // Like core's http in: when the node that answered on this path is removed, this one takes over.
      onOwner,
    });
  } catch (err) {
    if (err instanceof InvalidWebhookPathError) return { problem: 'invalid-url', params: {} };
    if (err instanceof AdminRouteError) return { problem: 'admin-route', params: { route: err.adminRoute } };
    throw err;
  }
}

/** The dialog warns about a path as the runtime would refuse it at deploy: the rule lives once, here. */
export function registerCheckPathRoute(RED: NodeAPI): void {
  RED.httpAdmin.get('/sales-webhook-in/check-path', RED.auth.needsPermission('sales-webhook-in.read'), (req, res) => {
    const raw = String(req.query.url ?? '').trim();
    const url = '/' + raw.replace(/^\/+/, '');
    if (!raw || RED.settings.httpNodeRoot === false) return res.json({ problem: null });
    const problem = webhookPathProblem(RED.httpNode as any, RED.httpAdmin as any, url);
    if (problem instanceof InvalidWebhookPathError)
      return res.json({ problem: RED._('sales-webhook-in.errors.invalid-url', { url }) });
    if (problem instanceof AdminRouteError)
      return res.json({ problem: RED._('sales-webhook-in.errors.admin-route', { url, route: problem.adminRoute }) });
    res.json({ problem: null });
  });
}
