import fs from 'node:fs';
import type { NodeAPI } from 'node-red';
import { acquireSqliteInbox } from '../inbox';
import { inboxFile, type InboxLocationSettings } from '../inbox/location';
import { DELIVERY_STATES, type InboxStore } from '../inbox/types';
import { DeliveryLog } from '../log/deliveryLog';
import { forgetErased } from '../log/erasures';
import { DeliveryLogError, parseDeliveryFilter, parseErasureEmail, parseStatsPeriod } from '../log/filter';
import { listProviders } from '../providers/registry';
import { announceErasure, announceReplay, publishAnnouncementsWith } from '../delivery/announce';
import { inboxConsumers } from '../delivery/registry';
import { LOG_CATALOG } from './admin-guard';
import { erasureReach } from './erasure-reach';
import { requireLogPermission, type AdminReq, type AdminRes } from './log-permission';

export const READ_PERMISSION = 'sales-webhooks.read';
export const WRITE_PERMISSION = 'sales-webhooks.write';

export type Req = AdminReq;
type Res = AdminRes;

/**
 * What every route of the log's admin API is built from: Node-RED's own authentication (401 without a session when
 * adminAuth is on), then a 403 that names a missing permission; answers in JSON, a DeliveryLogError as its status.
 */
export function logRouteTools(RED: NodeAPI) {
  const t = (key: string, params?: Record<string, string | number>) =>
    RED._(`${LOG_CATALOG}:sales-webhooks-log.${key}`, params);
  // Node-RED's audit log takes any fields; its type declares only the level-and-message ones.
  const audit = (entry: Record<string, unknown>, req: Req): void => RED.log.audit(entry as never, req as never);
  const allow = (permission: string, action: string) => requireLogPermission(RED, permission, action);
  const handle = (work: (req: Req) => Promise<unknown>) => (req: Req, res: Res) => {
    work(req).then(
      (body) => res.json(body),
      (err: unknown) => {
        if (err instanceof DeliveryLogError) return res.status(err.status).json({ error: t(err.key, err.params) });
        RED.log.error(`sales-webhooks delivery log: ${(err as Error)?.message ?? err}`);
        res.status(500).json({ error: t('errors.internal') });
      },
    );
  };
  return { allow, handle, audit };
}

/**
 * The delivery log's admin API (under httpAdminRoot). Every route first goes through Node-RED's own authentication
 * (401 without a session when adminAuth is on); a user who lacks the log's permission gets a 403 that names it.
 */
export function registerDeliveryLogRoutes(RED: NodeAPI): DeliveryLog {
  publishAnnouncementsWith((topic, data, retain) => RED.comms.publish(topic, data, retain));
  let fallback: { file: string; store: InboxStore } | undefined;
  const log = new DeliveryLog({
    consumers: inboxConsumers,
    defaultStore() {
      const file = inboxFile(RED.settings as unknown as InboxLocationSettings);
      if (fallback?.file === file) return fallback.store;
      // Opening creates the file: the log only reads one that the inbox already made.
      if (!fs.existsSync(file)) return undefined;
      fallback = { file, store: acquireSqliteInbox(file) };
      return fallback.store;
    },
  });

  const { allow, handle, audit } = logRouteTools(RED);
  const providers = () => listProviders().map((p) => p.id);
  const nodeOf = (req: Req) => {
    const node = (req.body as { node?: unknown } | undefined)?.node ?? req.query.node;
    return typeof node === 'string' && node ? node : undefined;
  };
  const admin = RED.httpAdmin;
  const reach = erasureReach(RED);

  // The sidebar's choices come from the runtime, so they cannot drift from the provider profiles.
  admin.get(
    '/sales-webhooks/options',
    ...allow(READ_PERMISSION, 'list'),
    handle(async () => ({
      providers: listProviders().map((p) => ({ id: p.id, label: p.label })),
      states: DELIVERY_STATES,
    })),
  );

  admin.get(
    '/sales-webhooks/deliveries',
    ...allow(READ_PERMISSION, 'list'),
    handle(async (req) => ({
      deliveries: await log.list(parseDeliveryFilter(req.query, providers())),
    })),
  );

  // The health above the list: counts by state per time bucket, with the list's filters (a time range excepted).
  admin.get(
    '/sales-webhooks/stats',
    ...allow(READ_PERMISSION, 'list'),
    handle(async (req) => {
      const { period, ...query } = req.query;
      const filter = parseDeliveryFilter({ ...query, from: undefined, to: undefined, limit: undefined }, providers());
      return log.stats(filter, parseStatsPeriod(period));
    }),
  );

  admin.get(
    '/sales-webhooks/deliveries/:id',
    ...allow(READ_PERMISSION, 'view'),
    handle((req) => log.get(req.params.id, nodeOf(req))),
  );

  admin.post(
    '/sales-webhooks/deliveries/:id/replay',
    ...allow(WRITE_PERMISSION, 'replay'),
    handle(async (req) => {
      const result = await log.replay(req.params.id, nodeOf(req));
      audit({ event: 'sales-webhooks.replay', id: result.id, node: result.node }, req);
      return { replayed: result.replayed };
    }),
  );

  admin.post(
    '/sales-webhooks/replay',
    ...allow(WRITE_PERMISSION, 'replay'),
    handle(async (req) => {
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const dryRun = body.dryRun === true || req.query.dryRun === 'true';
      const filter = parseDeliveryFilter({ ...req.query, ...body, dryRun: undefined, limit: undefined }, providers());
      const result = await log.replayMatching(filter, dryRun);
      if (!dryRun) {
        audit(
          {
            event: 'sales-webhooks.replay',
            count: result.replayed,
            filter: { ...filter, q: filter.q ? '…' : undefined },
          },
          req,
        );
        announceReplay(result.replayed);
      }
      return result;
    }),
  );

  admin.post(
    '/sales-webhooks/erase',
    ...allow(WRITE_PERMISSION, 'erase'),
    handle(async (req) => {
      const email = parseErasureEmail(req.body);
      const erased = (await log.erase(email)) + (await reach.eraseElsewhere(email));
      forgetErased(email);
      // The address itself is personal data: the audit line says that an erasure happened, not whose.
      audit({ event: 'sales-webhooks.erase', erased }, req);
      announceErasure(erased);
      return { erased };
    }),
  );

  return log;
}
