import type { IncomingHttpHeaders } from 'node:http';

/**
 * Every admin route of this package starts with one of its type prefixes (/sales-webhooks/…, /sales-lead-map/…,
 * /sales-crm/…, /sales-webhook-in/…): the guard covers routes added later without being told of them. A lookahead,
 * since express skips a `use` whose match ends inside a path segment.
 */
export const PACKAGE_ADMIN_ROUTES = /^\/sales-[a-z-]+(?=\/|$)/;

/** What the guard reads of a request (an express request has all of it). */
export interface GuardedRequest {
  method: string;
  headers: IncomingHttpHeaders;
}

export interface AdminRefusal {
  status: 403 | 415;
  /** The message's key in the delivery log's catalog (errors.<reason>). */
  reason: 'crossSite' | 'notJson';
}

/** Origins the user let call the admin API from elsewhere (settings.js `httpAdminCors.origin`). */
export type AllowedOrigins = (origin: string) => boolean;

const hasBody = (headers: IncomingHttpHeaders) =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

const isJson = (contentType: string | undefined) =>
  /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test((contentType ?? '').trim());

/** The host an Origin names (`https://a.example:1880` → `a.example:1880`); undefined for `null` or garbage. */
function originHost(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** The hosts this request was addressed to: its Host, and a proxy's X-Forwarded-Host. */
function requestHosts(headers: IncomingHttpHeaders): string[] {
  const forwarded = String(headers['x-forwarded-host'] ?? '')
    .split(',')
    .map((h) => h.trim());
  return [String(headers.host ?? ''), ...forwarded].filter(Boolean).map((h) => h.toLowerCase());
}

/**
 * Why a request to the package's admin API is refused, or undefined when it may pass. Without adminAuth, Node-RED
 * answers every admin request with `Access-Control-Allow-Origin: *` and parses form bodies, so any page the user
 * visits could post an erasure or a replay or read the delivery log: the browser's own Sec-Fetch-Site (or, from
 * browsers that lack it, the Origin against the Host) tells the editor's same-origin requests from another site's.
 * Tools that are no browser (curl, Prometheus) send neither header and pass; adminAuth still applies to them.
 */
export function adminRequestRefusal(
  req: GuardedRequest,
  allowedOrigin: AllowedOrigins = () => false,
): AdminRefusal | undefined {
  const { headers } = req;
  const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
  const allowed = origin !== undefined && allowedOrigin(origin);
  const site = String(headers['sec-fetch-site'] ?? '').toLowerCase();
  // "none": typed in the address bar or opened from a bookmark, which no other site can cause.
  if (!allowed && site && site !== 'same-origin' && site !== 'none') return { status: 403, reason: 'crossSite' };
  if (!allowed && !site && origin !== undefined) {
    const host = originHost(origin);
    if (!host || !requestHosts(headers).includes(host)) return { status: 403, reason: 'crossSite' };
  }
  // A form can post urlencoded, multipart or text/plain without a preflight; JSON needs one, which CORS governs.
  if (hasBody(headers) && !isJson(headers['content-type'])) return { status: 415, reason: 'notJson' };
  return undefined;
}

/** The origins settings.js `httpAdminCors.origin` lets in (a string, a list, a RegExp, or `true` for any). */
export function allowedOriginsOf(httpAdminCors: unknown): AllowedOrigins {
  const setting = (httpAdminCors as { origin?: unknown } | undefined)?.origin;
  const rules = (Array.isArray(setting) ? setting : [setting]).filter((r) => r !== undefined && r !== '*');
  return (origin) =>
    rules.some((rule) =>
      rule === true ? true : rule instanceof RegExp ? rule.test(origin) : typeof rule === 'string' && rule === origin,
    );
}

type Middleware = (
  req: GuardedRequest,
  res: { status(code: number): { json(body: unknown): void } },
  next: () => void,
) => void;
interface AdminApp {
  use(path: RegExp, handler: Middleware): unknown;
}
const guarded = new WeakSet<object>();

/**
 * Puts the guard in front of every admin route of this package, once per admin app. Each node module that adds
 * admin routes calls this before adding them, so whichever module Node-RED loads first, the guard comes first.
 */
export function guardAdminRoutes(
  app: AdminApp,
  settings: { httpAdminCors?: unknown },
  say: (reason: AdminRefusal['reason']) => string,
): void {
  if (guarded.has(app)) return;
  guarded.add(app);
  const allowed = allowedOriginsOf(settings.httpAdminCors);
  app.use(PACKAGE_ADMIN_ROUTES, (req, res, next) => {
    const refusal = adminRequestRefusal(req, allowed);
    if (!refusal) return next();
    res.status(refusal.status).json({ error: say(refusal.reason) });
  });
}
