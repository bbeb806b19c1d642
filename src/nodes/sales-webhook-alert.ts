import type { Node, NodeAPI, NodeDef } from 'node-red';
import { AlertMonitor, ALERT_DEFAULTS } from '../alerts/monitor';
import { alertsFileBeside } from '../alerts/persisted';
import { REPLAYABLE_KINDS, lastFailure } from '../alerts/replay';
import {
  fileAlertStorage,
  problemStoreOf,
  redisAlertStorage,
  unavailableAlertStorage,
  type AlertStorage,
  type WatchedReceiver,
} from '../alerts/storage';
import { ALERT_KINDS, type AlertKind, type PersistedProblems, type Problem, type Transition } from '../alerts/problems';
import { ALERTS_ROUTE, ALERTS_TOPIC, onAlertSignal, refusedCrmAccounts, unhealthyStoresNow } from '../alerts/signals';
import { subscribeToAnnouncements } from '../delivery/announce';
import { inboxConsumer, inboxConsumers } from '../delivery/registry';
import { migrate } from '../migrations';
import { guardPackageAdminRoutes } from './admin-guard';
import { registerAlertReplayRoute } from './alert-replay-route';
import { runtimeRedisSettings } from './inbox-choice';
import { inboxSettings } from './inbox-service';
import type { RedisStoreNode } from './redis-store-node';

const RECEIVING_TYPE = 'sales-webhook in';
const REDIS_TYPE = 'sales-webhook-redis';
/** How often time-based problems (quiet, backlog, an emptied refusal window) are looked at, at most. */
const MAX_TICK_MS = 5_000;
const MIN_TICK_MS = 100;
/** Unsettled deliveries looked up in their store per tick, at most. */
const MAX_LOOKUPS_PER_TICK = 100;
/** Count updates of open problems within this time are written as one (an opening or a resolution at once). */
const PERSIST_DELAY_MS = 100;
/** A failed write (Redis away) or read of the open problems is tried again after this. */
const STORAGE_RETRY_MS = 5_000;

interface AlertConfig extends NodeDef {
  kinds?: unknown;
  scope?: string;
  backlogMinutes?: unknown;
  quietMinutes?: unknown;
  rejections?: unknown;
  /** "Keep open problems in": watched (where the watched nodes' inbox is), runtime, or redis-node (`problemStore`). */
  keepIn?: unknown;
  problemStore?: unknown;
}

type ReceivingConfig = NodeDef & WatchedReceiver & { z?: string };

/** Every running alert node's monitor, for the admin endpoint. */
const monitors = new Map<string, { monitor: AlertMonitor; describe: (p: Problem) => Record<string, unknown> }>();

/** A number of minutes from the dialog (fractions allowed: tests use seconds), or the default when unset or bad. */
function minutes(value: unknown, fallback: number): number {
  const n = Number(value);
  return value === '' || value === undefined || !Number.isFinite(n) || n < 0 ? fallback : n;
}

export = function (RED: NodeAPI) {
  guardPackageAdminRoutes(RED);
  const t = (key: string, params?: Record<string, unknown>) =>
    RED._(`sales-webhook-alert.${key}`, params as Record<string, string>);

  /** The deployed configuration of nodes of a type (started or not: receiving nodes start after this one may). */
  function deployed<T extends NodeDef>(type: string): T[] {
    const found: T[] = [];
    RED.nodes.eachNode((n) => {
      if (n.type === type) found.push(n as T);
    });
    return found;
  }

  /** The storage of open problems this node's dialog chose (src/alerts/storage.ts says how "automatic" decides). */
  function alertStorage(alertNode: string, config: AlertConfig, watched: (z: string | undefined) => boolean) {
    const receivers = deployed<ReceivingConfig>(RECEIVING_TYPE).filter((r) => watched(r.z));
    const chosen = problemStoreOf(config.keepIn, config.problemStore, receivers);
    if (chosen.kind === 'redis') {
      // Config nodes start first: the running one has checked its URL; its saved configuration has it.
      const running = RED.nodes.getNode(chosen.configNode) as RedisStoreNode | null;
      const redis = deployed<NodeDef & { url?: string; tls?: boolean }>(REDIS_TYPE).find(
        (n) => n.id === chosen.configNode,
      );
      if (!running?.store || !redis?.url)
        return unavailableAlertStorage(chosen.configNode, running?.configError ?? t('errors.redisMissing'));
      const credentials = (RED.nodes.getCredentials(redis.id) ?? {}) as { username?: string; password?: string };
      return redisAlertStorage(
        {
          url: redis.url.trim(),
          prefix: running.store.prefix,
          tls: redis.tls === true,
          username: credentials.username,
          password: credentials.password,
        },
        alertNode,
      );
    }
    const runtimeRedis = runtimeRedisSettings(RED);
    return runtimeRedis
      ? redisAlertStorage(runtimeRedis, alertNode)
      : fileAlertStorage(alertsFileBeside(inboxSettings(RED).file), alertNode);
  }

  function nodeLabel(id: string | undefined): string {
    if (!id) return '';
    const found = RED.nodes.getNode(id) as (Node & { name?: string; url?: string }) | null;
    return found?.name || (found as { url?: string } | null)?.url || id;
  }

  function SalesWebhookAlert(this: Node, storedConfig: AlertConfig) {
    RED.nodes.createNode(this, storedConfig);
    const node = this;
    const config = migrate('sales-webhook alert', storedConfig);
    const chosenKinds = Array.isArray(config.kinds)
      ? (config.kinds as unknown[]).filter((k): k is AlertKind => ALERT_KINDS.includes(k as AlertKind))
      : [...ALERT_KINDS];
    const kinds = chosenKinds.length ? chosenKinds : [...ALERT_KINDS];
    const flowOnly = config.scope === 'flow';
    const backlogMs = minutes(config.backlogMinutes, ALERT_DEFAULTS.backlogMinutes) * 60_000;
    const quietMs = minutes(config.quietMinutes, ALERT_DEFAULTS.quietMinutes) * 60_000;
    const rejections = Math.max(1, Math.floor(Number(config.rejections) || ALERT_DEFAULTS.rejections));
    const z = (node as Node & { z?: string }).z;
    const inScope = (id: string) => !flowOnly || (RED.nodes.getNode(id) as (Node & { z?: string }) | null)?.z === z;

    const storage: AlertStorage = alertStorage(node.id, config, (flow) => !flowOnly || flow === z);

    const describe = (problem: Problem) => {
      const params = {
        node: nodeLabel(problem.node),
        account: nodeLabel(problem.account),
        reason: problem.reason ?? '',
        count: problem.count,
        provider: problem.provider ?? '',
        minutes: problem.kind === 'quiet' ? quietMs / 60_000 : backlogMs / 60_000,
        rejections,
      };
      return {
        kind: problem.kind,
        since: new Date(problem.since).toISOString(),
        count: problem.count,
        ...(problem.node ? { node: problem.node } : {}),
        ...(problem.account ? { account: problem.account } : {}),
        ...(problem.provider ? { provider: problem.provider } : {}),
        params,
      };
    };
    const sentence = (problem: Problem, state: 'open' | 'resolved') => {
      return t(`text.${problem.kind}.${state}`, describe(problem).params);
    };

    let closed = false;
    let persistTimer: NodeJS.Timeout | undefined;
    let latest: PersistedProblems | undefined;
    let warnedPersist = false;
    /** What the last run left is read before anything is written: a write would replace it. */
    let readBack = false;
    /** Writes and messages in order: an opening is written before its message goes out. */
    let queue: Promise<void> = Promise.resolve();
    const writeNow = () => {
      persistTimer = undefined;
      if (!readBack) return; // written once it is read (the read adopts, then writes what is open)
      const snapshot = latest;
      queue = queue.then(
        () =>
          storage.write(snapshot).then(
            () => {
              warnedPersist = false;
            },
            (err: Error) => {
              if (!warnedPersist) node.warn(t('errors.persist', { file: storage.where, reason: err.message }));
              warnedPersist = true;
              // Redis back (or the directory writable again) later: what is open then is written then.
              if (!closed) persistTimer ??= setTimeout(writeNow, STORAGE_RETRY_MS);
            },
          ),
        () => undefined,
      );
    };

    const showStatus = () => {
      const open = monitor.open().length;
      node.status(
        open
          ? { fill: 'red', shape: 'dot', text: t('status.open', { count: open }) }
          : { fill: 'green', shape: 'dot', text: t('status.none') },
      );
    };
    const transition = ({ state, problem }: Transition) => {
      const { params: _params, ...facts } = describe(problem);
      const msg = { topic: problem.kind, payload: { state, ...facts, text: sentence(problem, state) } };
      queue = queue.then(() => {
        if (closed) return;
        node.send(msg as never);
        showStatus();
        RED.comms.publish(ALERTS_TOPIC, { state, kind: problem.kind }, false);
      });
    };
    const monitor = new AlertMonitor({
      kinds,
      inScope,
      backlogMs,
      quietMs,
      rejections,
      transition,
      changed(problems, transition) {
        latest = problems;
        if (transition) {
          if (persistTimer) clearTimeout(persistTimer);
          writeNow();
        } else persistTimer ??= setTimeout(writeNow, PERSIST_DELAY_MS);
      },
    });
    monitors.set(node.id, {
      monitor,
      describe: (p) => {
        const { params: _params, ...facts } = describe(p);
        const replayable = REPLAYABLE_KINDS.includes(p.kind) && Boolean(inboxConsumer(p.node));
        return { ...facts, key: p.key, replayable, text: sentence(p, 'open') };
      },
    });

    const stopAnnouncements = subscribeToAnnouncements((a) =>
      monitor.delivery(a.node, a.id, a.state, Date.now(), a.reason),
    );
    const stopSignals = onAlertSignal((signal, at) => monitor.signal(signal, at));

    const receivingNodes = () => {
      const ids: string[] = [];
      RED.nodes.eachNode((n) => {
        if (n.type === RECEIVING_TYPE && RED.nodes.getNode(n.id)) ids.push(n.id);
      });
      return ids;
    };
    const tickMs = Math.max(
      MIN_TICK_MS,
      Math.min(MAX_TICK_MS, ...[quietMs, backlogMs].filter((ms) => ms > 0).map((ms) => ms / 4)),
    );
    let ticker: NodeJS.Timeout | undefined;

    /** A delivery can settle without an announcement (attempts spent, purge, erasure): its store has the last word. */
    const lookUpUnsettled = async () => {
      for (const { id, node: owner } of monitor.dueForLookup(Date.now(), MAX_LOOKUPS_PER_TICK)) {
        const store = inboxConsumer(owner)?.store;
        try {
          const record = store ? await store.get(id) : undefined;
          const found = record && {
            state: record.state,
            leaseUntil: record.leaseUntil,
            reason: lastFailure(record.settlements)?.reason,
          };
          monitor.lookedUp(id, found, Date.now());
        } catch {
          return; // a store that cannot be read says so through its health
        }
      }
    };
    /** What the watched stores say now of each node: its newest settled delivery and its newest accepted one. */
    const readStoreFacts = async (knowUnsettled: boolean) => {
      const latestSettled = new Map<string, { state: string; at: number } | undefined>();
      const newestAccepted = new Map<string, number>();
      for (const consumer of inboxConsumers()) {
        if (!inScope(consumer.nodeId)) continue;
        try {
          const recent = await consumer.store.list({ node: consumer.nodeId, limit: 50 });
          const settled = recent.find((d) => ['delivered', 'handled', 'failed'].includes(d.state));
          latestSettled.set(consumer.nodeId, settled && { state: settled.state, at: Date.parse(settled.receivedAt) });
          const accepted = recent.find((d) => d.state !== 'rejected');
          if (accepted) newestAccepted.set(consumer.nodeId, Date.parse(accepted.receivedAt));
          if (!knowUnsettled) continue;
          for (const state of ['received', 'emitted'] as const) {
            for (const d of await consumer.store.list({ node: consumer.nodeId, state, limit: 500 }))
              monitor.knownUnsettled(consumer.nodeId, d.id, Date.parse(d.receivedAt));
          }
        } catch {
          // A store that cannot be read now says so through its health.
        }
      }
      return { latestSettled, newestAccepted };
    };
    /** Whether a problem the last run left open is still true now (a store healthy again, a node gone, …). */
    const stillTrue =
      ({ latestSettled, newestAccepted }: Awaited<ReturnType<typeof readStoreFacts>>) =>
      (p: Problem): boolean => {
        const exists = !p.node || (Boolean(RED.nodes.getNode(p.node)) && inScope(p.node));
        if (!exists) return false;
        switch (p.kind) {
          case 'store-unavailable':
            return unhealthyStoresNow().some((s) => s.node === p.node);
          case 'crm-credentials':
            return refusedCrmAccounts().some((a) => a.account === p.account);
          case 'delivery-failed': {
            const settled = latestSettled.get(p.node!);
            return !settled || settled.state === 'failed' || !inboxConsumer(p.node);
          }
          case 'quiet':
            return (newestAccepted.get(p.node!) ?? 0) <= p.since;
          default:
            return true; // backlog and rejections: the clock decides
        }
      };
    /** Set once the start check has looked at what was read: problems read later get the same check of their own. */
    let startChecked = false;
    /** Problems read after the start check (Redis back later): only these, live ones were opened by what is true now. */
    const checkReadLate = async (adopted: Set<string>) => {
      const facts = await readStoreFacts(false);
      if (closed) return;
      monitor.recheck((p) => !adopted.has(p.key) || stillTrue(facts)(p));
      showStatus();
    };
    /** The first try, for the start check; later ones (Redis away at start) until it works, then what is open is written. */
    let retryRead: NodeJS.Timeout | undefined;
    const readRestored = (): Promise<void> =>
      storage.read().then(
        (restored) => {
          readBack = true;
          if (closed) return;
          const adopted = monitor.adopt(restored);
          if (startChecked && adopted.size) void checkReadLate(adopted);
        },
        (err: Error) => {
          if (!retryRead) node.warn(t('errors.read', { file: storage.where, reason: err.message }));
          if (!closed) retryRead = setTimeout(() => void readRestored(), STORAGE_RETRY_MS);
        },
      );
    const restoredRead = readRestored();
    /** Once the flows run: what the last run left open but is no longer true is resolved; what is wrong now opens. */
    const startCheck = async () => {
      await restoredRead;
      if (closed) return;
      const now = Date.now();
      for (const store of unhealthyStoresNow()) if (RED.nodes.getNode(store.node)) monitor.signal(store, now);
      for (const account of refusedCrmAccounts()) monitor.signal(account, now);
      const facts = await readStoreFacts(true);
      if (closed) return;
      startChecked = true;
      monitor.recheck(stillTrue(facts));
      monitor.tick(Date.now(), receivingNodes());
      showStatus();
      // Only once every node of the flows exists: before, a receiving node not yet started would look removed.
      let ticking = false;
      ticker = setInterval(() => {
        if (ticking) return;
        ticking = true;
        void lookUpUnsettled()
          .then(() => monitor.tick(Date.now(), receivingNodes()))
          .finally(() => {
            ticking = false;
          });
      }, tickMs);
      ticker.unref?.();
    };
    let started = false;
    const onFlowsStarted = () => {
      if (started || closed) return;
      started = true;
      void startCheck();
    };
    RED.events.on('flows:started', onFlowsStarted);
    showStatus();

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      RED.events.removeListener('flows:started', onFlowsStarted);
      if (ticker) clearInterval(ticker);
      if (retryRead) clearTimeout(retryRead);
      stopAnnouncements();
      stopSignals();
      monitors.delete(node.id);
      const pending = persistTimer !== undefined;
      if (persistTimer) clearTimeout(persistTimer);
      if (removed) latest = undefined;
      // A removed node's entry goes, even when its problems were never read back (Redis away all along).
      if (removed) readBack = true;
      if (pending || removed) writeNow();
      node.status({});
      void queue.then(() => storage.close()).then(() => done());
    });
  }

  RED.nodes.registerType('sales-webhook alert', SalesWebhookAlert as any);

  // "Replay these" on an open problem of the sidebar: the same problem seen by two alert nodes is one.
  registerAlertReplayRoute(RED, {
    find(key) {
      for (const { monitor } of monitors.values()) {
        const problem = monitor.open().find((p) => p.key === key);
        if (problem) return problem;
      }
      return undefined;
    },
  });

  // The open problems of every alert node, for the delivery log's sidebar (the same problem seen by two alert nodes once).
  RED.httpAdmin.get(`/${ALERTS_ROUTE}`, RED.auth.needsPermission('sales-webhooks.read'), (_req, res) => {
    const byKey = new Map<string, Record<string, unknown>>();
    for (const [alertNode, { monitor, describe }] of monitors)
      for (const problem of monitor.open())
        if (!byKey.has(problem.key)) byKey.set(problem.key, { alertNode, ...describe(problem) });
    res.json({ problems: [...byKey.values()] });
  });
};
