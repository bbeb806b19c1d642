import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type Middleware = (req: any, res: any, next: (err?: unknown) => void) => void;

interface ExpressLayer {
  handle: unknown;
  route?: { path: string; stack: { handle: unknown }[] };
}
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

interface Claim {
  handler: Handler;
  /** Called when this claim becomes the one that answers (its predecessor on the path was removed). */
  onOwner?: () => void;
}

interface RouteTable {
  /** Per normalised path, the nodes that asked for it in order; the first answers, as with core's http in. */
  routes: Map<string, Claim[]>;
  middleware: Middleware;
}

const TABLES = new WeakMap<ExpressApp, RouteTable>();

/** A path Express cannot compile, or one with pattern characters: webhook URLs are literal paths. */
export class InvalidWebhookPathError extends Error {
  constructor(readonly path: string) {
    super(`${path} is not a plain URL path: use letters, digits, - . _ ~ and /`);
  }
}

/** A path that would take a route of Node-RED's editor or admin API away from it. */
export class AdminRouteError extends Error {
  constructor(
    readonly path: string,
    readonly adminRoute: string,
  ) {
    super(`${path} would hide the Node-RED editor's own ${adminRoute}`);
  }
}

interface LayerLike extends ExpressLayer {
  regexp?: { fast_slash?: boolean };
  path?: string;
  match?(path: string): boolean;
}

/**
 * First path segments served by Node-RED's editor and admin API. They live in sub-apps whose routes Express does
 * not expose (a mounted app is a closure in its parent's stack), so they are named here; everything visible in the
 * admin app's own stack (auth routes, routes nodes add to RED.httpAdmin) is read from the stack itself.
 */
const EDITOR_SEGMENTS = new Set([
  '',
  'auth',
  'flows',
  'flow',
  'nodes',
  'context',
  'settings',
  'plugins',
  'diagnostics',
  'icons',
  'locales',
  'library',
  'credentials',
  'theme',
  'projects',
  'resources',
  'red',
  'vendor',
  'types',
  'favicon.ico',
  'comms',
]);

/** Literal paths only: Express would read ( ) * ? + : [ ] as a pattern, or fail to compile it. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~%@/]*$/;

function stackOf(app: ExpressApp): ExpressLayer[] | undefined {
  return (app._router ?? app.router)?.stack;
}
function rootOf(app: ExpressApp): ExpressApp {
  return app.parent ? rootOf(app.parent) : app;
}

/** Where the app is mounted, as the root app sees it ("/hooks" when httpNodeRoot is "/hooks/"). */
function mountPrefix(app: ExpressApp): string {
  if (!app.parent) return '';
  const own = Array.isArray(app.mountpath) ? app.mountpath[0] : (app.mountpath ?? '');
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
  return (
    !settings.httpNodeAuth &&
    !settings.httpAuth &&
    !settings.httpAdminAuth &&
    !settings.httpNodeMiddleware &&
    !settings.httpNodeCors
  );
}

/** The route of a visible admin stack that would answer `path`, described for a message. */
function visibleAdminRoute(stack: LayerLike[] | undefined, path: string): string | undefined {
  for (const layer of stack ?? []) {
    if (typeof layer.match !== 'function') continue;
    if (layer.regexp?.fast_slash) {
      // Global middleware; a router mounted at the root may still hold routes.
      const inner = (layer.handle as { stack?: LayerLike[] })?.stack;
      const found = Array.isArray(inner) ? visibleAdminRoute(inner, path) : undefined;
      if (found) return found;
      continue;
    }
    if (!layer.match(path)) continue;
    if (layer.route) return `route ${String(layer.route.path)}`;
    return `path ${layer.path || path}`;
  }
  return undefined;
}

/**
 * Why `url` cannot be a webhook path here, or undefined when it can. Checked before anything is registered, and
 * by the dialog through the admin endpoint, so the rule lives once.
 */
export function webhookPathProblem(
  httpNode: ExpressApp,
  httpAdmin: ExpressApp | undefined,
  url: string,
): InvalidWebhookPathError | AdminRouteError | undefined {
  const routePath = '/' + String(url).trim().replace(/^\/+/, '');
  if (!PLAIN_PATH.test(routePath)) return new InvalidWebhookPathError(routePath);
  if (!httpAdmin) return undefined;
  const root = rootOf(httpNode);
  // RED.httpAdmin is mounted inside the editor's admin app; that one sits at httpAdminRoot on the server's app.
  const outerAdmin = httpAdmin.parent && httpAdmin.parent !== root ? httpAdmin.parent : httpAdmin;
  if (rootOf(outerAdmin) !== root) return undefined;
  const fullPath = normalisePath(mountPrefix(httpNode) + routePath);
  const adminPrefix = normalisePath(mountPrefix(outerAdmin));
  const underAdmin =
    adminPrefix === '/'
      ? fullPath
      : fullPath === adminPrefix
        ? '/'
        : fullPath.startsWith(adminPrefix + '/')
          ? fullPath.slice(adminPrefix.length)
          : undefined;
  if (underAdmin === undefined) return undefined;
  const segment = underAdmin.split('/')[1] ?? '';
  if (EDITOR_SEGMENTS.has(segment)) return new AdminRouteError(fullPath, segment ? `/${segment} routes` : 'page');
  const visible =
    visibleAdminRoute(stackOf(outerAdmin) as LayerLike[], underAdmin) ??
    (outerAdmin !== httpAdmin ? visibleAdminRoute(stackOf(httpAdmin) as LayerLike[], underAdmin) : undefined);
  return visible ? new AdminRouteError(fullPath, visible) : undefined;
}

function tableFor(root: ExpressApp, settings: RouteSettings): RouteTable {
  let table = TABLES.get(root);
  if (table) return table;
  const routes = new Map<string, Claim[]>();
  const answerEarly = canAnswerEarly(settings);
  const middleware: Middleware = (req, res, next) => {
    const owner = routes.get(normalisePath(pathOfUrl(req.url)))?.[0];
    if (!owner) return next();
    // Only POST is a delivery; anything else goes the normal way, so the admin app keeps every route it has.
    if (answerEarly && req.method === 'POST') return owner.handler(req, res);
    // Keep the admin app's body parsers off the raw bytes; the route below reads them itself (or drains them).
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

export interface WebhookRoute {
  /** False while another node answers on the same path; `onOwner` is called when this one takes over. */
  owner: boolean;
  /** Removes everything this registration added and hands the path to the next node waiting for it. */
  unregister(): void;
}

/**
 * Registers a POST webhook route at `url` under httpNode. Requests reach the owner's `handler` with their body
 * unread. Throws InvalidWebhookPathError or AdminRouteError before registering anything.
 */
export function registerWebhookRoute(
  httpNode: ExpressApp,
  url: string,
  settings: RouteSettings,
  handler: Handler,
  options: { httpAdmin?: ExpressApp; onOwner?: () => void } = {},
): WebhookRoute {
  const problem = webhookPathProblem(httpNode, options.httpAdmin, url);
  if (problem) throw problem;
  const root = rootOf(httpNode);
  const routePath = '/' + String(url).trim().replace(/^\/+/, '');
  const fullPath = normalisePath(mountPrefix(httpNode) + routePath);

  const chain: unknown[] = [];
  if (settings.httpNodeCors) chain.push(cors(settings.httpNodeCors));
  if (settings.httpNodeMiddleware) chain.push(settings.httpNodeMiddleware);
  const routeHandler: Middleware = (req, res, next) => {
    const owner = TABLES.get(root)?.routes.get(fullPath)?.[0];
    if (owner) owner.handler(req, res);
    else next();
  };
  const errorHandler = (err: unknown, _req: IncomingMessage, res: ServerResponse, _next: unknown) => {
    if (res.headersSent) return;
    res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: 'request failed before the webhook node could read it' }));
  };
  // Express compiles the path here; it must succeed before the early table holds anything.
  try {
    httpNode.all(routePath, ...chain, routeHandler, errorHandler);
  } catch {
    throw new InvalidWebhookPathError(routePath);
  }

  const table = tableFor(root, settings);
  const claim: Claim = { handler, onOwner: options.onOwner };
  const claims = table.routes.get(fullPath) ?? [];
  claims.push(claim);
  table.routes.set(fullPath, claims);

  return {
    owner: claims[0] === claim,
    unregister() {
      const current = table.routes.get(fullPath) ?? [];
      const index = current.indexOf(claim);
      if (index !== -1) current.splice(index, 1);
      if (current.length === 0) table.routes.delete(fullPath);
      const nodeStack = stackOf(httpNode);
      if (nodeStack) {
        for (let i = nodeStack.length - 1; i >= 0; i--) {
          if (nodeStack[i].route?.stack.some((layer) => layer.handle === routeHandler)) nodeStack.splice(i, 1);
        }
      }
      if (table.routes.size === 0 && TABLES.get(root) === table) {
        const rootStack = stackOf(root);
        const at = rootStack?.findIndex((layer) => layer.handle === table.middleware) ?? -1;
        if (rootStack && at !== -1) rootStack.splice(at, 1);
        TABLES.delete(root);
      }
      if (index === 0 && current.length > 0) current[0].onOwner?.();
    },
  };
}
