import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type Middleware = (req: any, res: any, next: (err?: unknown) => void) => void;

interface ExpressLayer { handle: unknown; route?: { path: string; stack: { handle: unknown }[] } }
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  parent?: ExpressApp;
  mountpath?: string | string[];
  use(...handlers: unknown[]): unknown;
  all(path: string, ...handlers: unknown[]): unknown;
  _router?: { stack: ExpressLayer[] };
  router?: { stack: ExpressLayer[] };
}

/** The settings that add to the request chain of an httpNode route. */
export interface RouteSettings {
  httpNodeAuth?: unknown;
  httpAuth?: unknown;
  httpAdminAuth?: unknown;
  httpNodeMiddleware?: Middleware | Middleware[];
  httpNodeCors?: cors.CorsOptions;
}

interface RouteTable {
  routes: Map<string, Handler>;
  middleware: Middleware;
}

const TABLES = new WeakMap<ExpressApp, RouteTable>();

export class RouteConflictError extends Error {
  constructor(readonly path: string) {
    super(`another sales-webhook in node already listens on ${path}`);
  }
}

function stackOf(app: ExpressApp): ExpressLayer[] | undefined {
  return (app._router ?? app.router)?.stack;
}

function rootOf(app: ExpressApp): ExpressApp {
  return app.parent ? rootOf(app.parent) : app;
}

/** Where the app is mounted, as the root app sees it ("/hooks" when httpNodeRoot is "/hooks/"). */
function mountPrefix(app: ExpressApp): string {
  if (!app.parent) return '';
  const own = Array.isArray(app.mountpath) ? app.mountpath[0] : app.mountpath ?? '';
  return mountPrefix(app.parent) + own;
}

/** Express matches routes case-insensitively and ignores one trailing slash; so does this. */
export function normalisePath(path: string): string {
  const collapsed = ('/' + path).replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
  return collapsed.toLowerCase();
}

function pathOfUrl(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** True when nothing in settings adds to the chain, so the route can answer before the editor's admin app runs. */
export function canAnswerEarly(settings: RouteSettings): boolean {
  return !settings.httpNodeAuth && !settings.httpAuth && !settings.httpAdminAuth && !settings.httpNodeMiddleware && !settings.httpNodeCors;
}

function tableFor(root: ExpressApp, settings: RouteSettings): RouteTable {
  let table = TABLES.get(root);
  if (table) return table;
  const routes = new Map<string, Handler>();
  const answerEarly = canAnswerEarly(settings);
  const middleware: Middleware = (req, res, next) => {
    const handler = routes.get(normalisePath(pathOfUrl(req.url)));
    if (!handler) return next();
    if (answerEarly) return handler(req, res);
    // Keep the admin app's body parsers off the raw bytes; the route below reads them itself.
    req._body = true;
    next();
  };
  root.use(middleware);
  const stack = stackOf(root);
  if (stack) {
    const index = stack.findIndex((layer) => layer.handle === middleware);
    if (index > 0) stack.unshift(stack.splice(index, 1)[0]);
  }
  table = { routes, middleware };
  TABLES.set(root, table);
  return table;
}

/**
 * Registers a POST webhook route at `url` under httpNode. Requests reach `handler` with their body unread.
 * Returns a function that removes everything it added.
 */
export function registerWebhookRoute(httpNode: ExpressApp, url: string, settings: RouteSettings, handler: Handler): () => void {
  const root = rootOf(httpNode);
  const table = tableFor(root, settings);
  const fullPath = normalisePath(mountPrefix(httpNode) + '/' + url);
  if (table.routes.has(fullPath)) throw new RouteConflictError(fullPath);
  table.routes.set(fullPath, handler);

  const chain: unknown[] = [];
  if (settings.httpNodeCors) chain.push(cors(settings.httpNodeCors));
  if (settings.httpNodeMiddleware) chain.push(settings.httpNodeMiddleware);
  const routeHandler: Middleware = (req, res) => handler(req, res);
  const errorHandler = (err: unknown, _req: IncomingMessage, res: ServerResponse, _next: unknown) => {
    if (res.headersSent) return;
    res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: 'request failed before the webhook node could read it' }));
  };
  const routePath = '/' + url.replace(/^\/+/, '');
  httpNode.all(routePath, ...chain, routeHandler, errorHandler);

  return () => {
    if (table.routes.get(fullPath) === handler) table.routes.delete(fullPath);
    const nodeStack = stackOf(httpNode);
    if (nodeStack) {
      for (let i = nodeStack.length - 1; i >= 0; i--) {
        if (nodeStack[i].route?.stack.some((layer) => layer.handle === routeHandler)) nodeStack.splice(i, 1);
      }
    }
    if (table.routes.size === 0) {
      const rootStack = stackOf(root);
      const index = rootStack?.findIndex((layer) => layer.handle === table.middleware) ?? -1;
      if (rootStack && index !== -1) rootStack.splice(index, 1);
      TABLES.delete(root);
    }
  };
}
