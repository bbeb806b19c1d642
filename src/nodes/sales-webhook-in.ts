import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { InboxUnavailableError, REJECTED_BODY_BYTES, type DueDelivery } from '../inbox/types';
import { Redelivery } from '../inbox/redelivery';
import { describeInboxProblem } from '../inbox/settings';
import { hasSettlingPointDownstream, type FlowNodeConfig } from '../inbox/settlingPoints';
import { receiveRedaction, type DeliveryOutcome, type DeliveryProcessor } from '../receive/delivery';
import { DuplicateGuard } from '../receive/duplicateGuard';
import {
  handleWebhookRequest,
  type OutcomeContext,
  type PersistResult,
  type Refusal,
  type WebhookEndpoint,
} from '../receive/endpoint';
import { migrate } from '../migrations';
import { WEBHOOK_IN_DEFAULTS } from '../receive/webhookInDefaults';
import { positiveNumber } from '../shared/numbers';
import { throttledStatus } from '../shared/throttledStatus';
import type { RejectedDelivery, WebhookMeta } from '../receive/types';
import type { SalesWebhookSourceNode } from './source-node';
import { announceDelivery } from './delivery-announce';
import { registerInboxConsumer } from './inbox-registry';
import { openChosenInbox } from './inbox-choice';
import { registerInboxStatsRoute } from './inbox-service';
import { registerSendTestEndpoint } from './send-test-endpoint';
import {
  AdminRouteError,
  InvalidWebhookPathError,
  registerWebhookRoute,
  webhookPathProblem,
  type RouteSettings,
  type WebhookRoute,
} from './webhook-routes';

interface WebhookInConfig extends NodeDef {
  url: string;
  source: string;
  maxBytes?: number | string;
  /** Seconds a body may take to arrive. */
  bodyTimeout?: number | string;
  dedupe?: boolean;
  dedupeHours?: number | string;
  dedupeLimit?: number | string;
  /** Inbox off only (with the inbox on, the store recognises repeats): the in-memory guard's size and its context store. */
  dedupeStore?: string;
  /** Store every delivery durably before answering 2xx (default on; absent in flows saved before the inbox). */
  inbox?: boolean;
  /** A `sales-webhook-redis` config node shared by several Node-RED instances; empty: the embedded file. */
  store?: string;
  leaseMinutes?: number | string;
  maxAttempts?: number | string;
}

/** msg.webhook on an emitted delivery: the inbox adds where it is kept and which emission this is. */
interface EmittedWebhookMeta extends WebhookMeta {
  deliveryId?: string;
  attempt?: number;
  replay?: boolean;
  /** The receiving node's id: settling points find the delivery's inbox through it. */
  node?: string;
}

interface WebhookInNode extends Node {
  /** The last delivery this node emitted, for the lead-map dialog's sample box. */
  lastDelivery?: { payload: Record<string, unknown>; webhook: WebhookMeta };
  /** The path it listens on under httpNodeRoot, for the test-event sender. */
  url?: string;
  source?: SalesWebhookSourceNode;
}

const SEEN_CONTEXT_KEY = 'salesWebhookSeenDeliveries';
const SAVE_DELAY_MS = 2000;
/** How often expired leases are looked for, at most (a short lease is checked a few times within it). */
const LEASE_POLL_MS = 5000;
const MIN_LEASE_POLL_MS = 50;

export = function (RED: NodeAPI) {
  function SalesWebhookIn(this: WebhookInNode, storedConfig: WebhookInConfig) {
    RED.nodes.createNode(this, storedConfig);
    const config = migrate('sales-webhook in', storedConfig);
    const node = this;
    const fail = (key: string, params?: Record<string, string>) => {
      const text = RED._(`sales-webhook-in.errors.${key}`, params);
      node.warn(text);
      node.status({ fill: 'red', shape: 'ring', text });
    };

    if (RED.settings.httpNodeRoot === false) return fail('http-disabled');
    if (!config.url || !String(config.url).trim()) return fail('missing-url');
    const url = '/' + String(config.url).trim().replace(/^\/+/, '');
    const maxBytes = positiveNumber(config.maxBytes, WEBHOOK_IN_DEFAULTS.maxBytes);
    if (maxBytes === undefined) return fail('invalid-max-bytes');
    const bodyTimeoutSeconds = positiveNumber(config.bodyTimeout, WEBHOOK_IN_DEFAULTS.bodyTimeout);
    if (bodyTimeoutSeconds === undefined) return fail('invalid-body-timeout');
    const dedupeHours = positiveNumber(config.dedupeHours, WEBHOOK_IN_DEFAULTS.dedupeHours);
    const dedupeLimit = positiveNumber(config.dedupeLimit, WEBHOOK_IN_DEFAULTS.dedupeLimit);
    if (dedupeHours === undefined || dedupeLimit === undefined) return fail('invalid-dedupe');
    const inboxOn = config.inbox !== false;
    const leaseMinutes = positiveNumber(config.leaseMinutes, WEBHOOK_IN_DEFAULTS.leaseMinutes);
    const maxAttempts = positiveNumber(config.maxAttempts, WEBHOOK_IN_DEFAULTS.maxAttempts);
    if (leaseMinutes === undefined || maxAttempts === undefined || !Number.isInteger(maxAttempts))
      return fail('invalid-lease');
    const source = RED.nodes.getNode(config.source) as SalesWebhookSourceNode | null;
    if (!source) return fail('missing-source');
    node.url = url;
    node.source = source;

    const credentials = source.credentials ?? {};
    const redaction = receiveRedaction(source.authenticationHeaders, [
      credentials.secret,
      credentials.previousSecret,
      credentials.token,
    ]);
    let processor: DeliveryProcessor | null = null;
    // With the inbox on, duplicates are recognised by the store (across restarts); the memory guard is the old way.
    const guard =
      inboxOn || config.dedupe === false
        ? undefined
        : new DuplicateGuard(dedupeHours * 3600 * 1000, Math.floor(dedupeLimit));
    const duplicateWindowMs = config.dedupe === false ? 0 : dedupeHours * 3600 * 1000;
    if (source.configError || !source.profile || !source.verifier) {
      fail('source-config', { reason: source.configError ?? '' });
    } else {
      processor = {
        profile: source.profile,
        verifier: source.verifier,
        redaction,
        guard,
      };
      if (source.profile.verification.kind === 'none') node.warn(RED._('sales-webhook-in.warn.unverified'));
    }

    const counts = { accepted: 0, rejected: 0, invalid: 0, duplicates: 0 };
    /** Why the inbox cannot write, while it cannot: the status stays red until a write succeeds. */
    let inboxProblem: string | undefined;
    /** Set while the store writes but cannot promise the disk (Redis without fsync at every write). */
    let inboxCaution: string | undefined;
    const showStatus = () => {
      if (!processor) return;
      if (inboxProblem) return node.status({ fill: 'red', shape: 'ring', text: inboxProblem });
      const unverified = processor.profile.verification.kind === 'none';
      const text = RED._('sales-webhook-in.status.counts', {
        accepted: String(counts.accepted),
        rejected: String(counts.rejected + counts.invalid),
        duplicates: String(counts.duplicates),
      });
      node.status({
        fill:
          unverified || inboxCaution
            ? 'yellow'
            : counts.rejected + counts.invalid > 0 && counts.accepted === 0
              ? 'red'
              : 'green',
        shape: unverified || inboxCaution ? 'ring' : 'dot',
        text: [unverified ? RED._('sales-webhook-in.status.unverified') : '', inboxCaution ?? '', text]
          .filter(Boolean)
          .join(' · '),
      });
    };
    const status = throttledStatus(showStatus);
    const scheduleStatus = status.schedule;
    const showListening = () => {
      if (!processor) return;
      node.status(
        processor.profile.verification.kind === 'none'
          ? { fill: 'yellow', shape: 'ring', text: RED._('sales-webhook-in.status.unverified') }
          : { fill: 'green', shape: 'ring', text: RED._('sales-webhook-in.status.listening', { url }) },
      );
    };

    // Seen deliveries survive a restart when the chosen context store persists.
    const store = config.dedupeStore || undefined;
    let saveTimer: NodeJS.Timeout | undefined;
    const saveSeen = (callback?: () => void) => {
      saveTimer = undefined;
      if (!guard) return callback?.();
      node.context().set(SEEN_CONTEXT_KEY, guard.snapshot(), store as string, () => callback?.());
    };
    const ready: Promise<void> = guard
      ? new Promise((resolve) => {
          try {
            node.context().get(SEEN_CONTEXT_KEY, store as string, (err: Error | undefined, value: unknown) => {
              if (err) node.warn(RED._('sales-webhook-in.errors.context', { store: store ?? 'default' }));
              else guard.restore(value);
              resolve();
            });
          } catch {
            node.warn(RED._('sales-webhook-in.errors.context', { store: store ?? 'default' }));
            resolve();
          }
        })
      : Promise.resolve();

    const rejectionMessage = (rejection: RejectedDelivery): NodeMessage => ({ payload: rejection, topic: 'rejected' });

    // The durable inbox: opened for a node that can verify; shared by every node writing to the same file.
    const inbox = inboxOn && processor ? openChosenInbox(RED, config.store, (text) => node.warn(text)) : undefined;
    let closing = false;
    const inboxFailed = (err: Error) => {
      const text = RED._('sales-webhook-in.status.inbox-unavailable', {
        problem: describeInboxProblem(err.message),
        file: inbox?.store.location ?? '',
      });
      if (inboxProblem !== text) node.warn(`${text}: ${err.message}`);
      inboxProblem = text;
      showStatus();
    };
    const inboxWorks = () => {
      if (!inboxProblem) return;
      inboxProblem = undefined;
      scheduleStatus();
    };
    inbox?.store.ready().then(inboxWorks, inboxFailed);
    inbox?.watch({
      failed: inboxFailed,
      works: inboxWorks,
      caution: (text) => {
        inboxCaution = text;
        scheduleStatus();
      },
    });

    // Decided at each flow start: does a settling point (sales-crm out, sales-webhook settle) follow an output?
    const settles = [false, false];
    const findSettlingPoints = () => {
      const nodes = new Map<string, FlowNodeConfig>();
      (RED.nodes as unknown as { eachNode(cb: (n: FlowNodeConfig) => void): void }).eachNode((n) => nodes.set(n.id, n));
      settles[0] = hasSettlingPointDownstream(node.id, nodes, 0);
      settles[1] = hasSettlingPointDownstream(node.id, nodes, 1);
    };
    const leaseMs = leaseMinutes * 60_000;

    /** Sends a stored delivery into the flow: output 1, or output 2 when it failed its schema. */
    const emitStored = (
      payload: Record<string, unknown>,
      meta: WebhookMeta,
      issues: string[],
      inboxFields: { deliveryId: string; attempt: number; replay: boolean },
    ) => {
      const webhook: EmittedWebhookMeta = { ...meta, ...inboxFields, node: node.id };
      if (issues.length === 0) {
        node.lastDelivery = { payload, webhook };
        node.send([{ payload, topic: meta.eventType, webhook } as NodeMessage, null]);
        return;
      }
      const rejection: RejectedDelivery & { event: unknown } = {
        statusCode: 200,
        reason: meta.eventType
          ? RED._('sales-webhook-in.errors.schema', { eventType: meta.eventType })
          : RED._('sales-webhook-in.errors.schema-no-type'),
        provider: meta.provider,
        headers: meta.headers,
        receivedAt: meta.receivedAt,
        issues,
        event: payload,
      };
      node.send([null, { payload: rejection, topic: meta.eventType, webhook } as NodeMessage]);
    };
    /** Records the first emission: delivered at once when nothing downstream settles, else under a lease. */
    const markEmitted = (deliveryId: string, output: 0 | 1, attempt: number) => {
      const state = settles[output] ? 'emitted' : 'delivered';
      inbox?.store
        .markEmitted(deliveryId, { attempt, settles: settles[output], leaseUntil: Date.now() + leaseMs })
        .then(() => announceDelivery(RED, { id: deliveryId, node: node.id, state }))
        .catch((err: Error) => {
          if (err instanceof InboxUnavailableError) inboxFailed(err);
          else node.error(err);
        });
    };
    const redelivery = inbox
      ? new Redelivery({
          store: inbox.store,
          node: node.id,
          leaseMs,
          maxAttempts,
          pollMs: Math.max(MIN_LEASE_POLL_MS, Math.min(LEASE_POLL_MS, leaseMs / 4)),
          settles: () => settles[0],
          emit: (due: DueDelivery) => {
            let payload: Record<string, unknown>;
            try {
              payload = JSON.parse(due.rawBody.toString('utf8')) as Record<string, unknown>;
            } catch {
              return; // stored only after it parsed; a damaged row is left in the log
            }
            emitStored(payload, due.meta, due.issues, { deliveryId: due.id, attempt: due.attempt, replay: due.replay });
            announceDelivery(RED, { id: due.id, node: node.id, state: settles[0] ? 'emitted' : 'delivered' });
            // An invalid delivery's output may have no settling point although output 1 has one.
            if (due.issues.length && !settles[1]) markEmitted(due.id, 1, due.attempt);
          },
          onError: (err) => {
            if (err instanceof InboxUnavailableError) inboxFailed(err);
            else node.error(err);
          },
        })
      : undefined;
    const unregisterConsumer =
      inbox && redelivery
        ? registerInboxConsumer({ nodeId: node.id, store: inbox.store, poke: () => redelivery.poke() })
        : undefined;
    // Downstream nodes exist only once the flows have started: until then a stored delivery is not emitted (it would
    // go nowhere) but left received, and the recovery that runs then emits it.
    let flowsStarted = false;
    const onFlowsStarted = () => {
      if (closing) return;
      flowsStarted = true;
      findSettlingPoints();
      void redelivery?.start();
    };
    if (inbox) {
      findSettlingPoints();
      RED.events.on('flows:started', onFlowsStarted);
    }

    const persist = inbox
      ? (
          outcome: DeliveryOutcome & { kind: 'accepted' | 'invalid' },
          rawBody: Buffer,
          receivedAt: Date,
        ): Promise<PersistResult> =>
          inbox.store
            .accept({
              node: node.id,
              duplicateKey: outcome.key,
              duplicateWindowMs,
              duplicateLimit: Math.floor(dedupeLimit),
              receivedAt: receivedAt.getTime(),
              rawBody,
              meta: outcome.meta,
              issues: outcome.kind === 'invalid' ? outcome.issues : [],
            })
            .then(
              (result): PersistResult => {
                inboxWorks();
                if (result.stored) announceDelivery(RED, { id: result.id, node: node.id, state: 'received' });
                return result.stored ? { stored: true, deliveryId: result.id } : { stored: false };
              },
              (err: Error): PersistResult => {
                if (!(err instanceof InboxUnavailableError)) throw err;
                inboxFailed(err);
                return { unavailable: err.message };
              },
            )
      : undefined;
    const logRejected = (
      statusCode: number,
      reason: string,
      headers: Record<string, string>,
      receivedAt: number,
      rawBody?: Buffer,
    ) => {
      if (inbox) announceDelivery(RED, { id: '', node: node.id, state: 'rejected' });
      inbox?.store.logRejected({
        node: node.id,
        provider: source.profile?.id ?? 'unconfigured',
        receivedAt,
        statusCode,
        reason,
        headers,
        // A copy of the first bytes only: a view would carry the whole socket buffer to the writer.
        bodyPrefix: rawBody ? Buffer.from(rawBody.subarray(0, REJECTED_BODY_BYTES)) : undefined,
        bodyTruncated: rawBody !== undefined && rawBody.length > REJECTED_BODY_BYTES,
      });
    };
    const endpoint: WebhookEndpoint = {
      maxBytes,
      bodyTimeoutMs: bodyTimeoutSeconds * 1000,
      redaction,
      ready,
      persist,
      processor: () => processor,
      onRefusal(refusal: Refusal) {
        counts.rejected++;
        logRejected(refusal.statusCode, refusal.reason, refusal.headers, refusal.receivedAt.getTime(), refusal.rawBody);
        scheduleStatus();
        node.send([
          null,
          rejectionMessage({
            statusCode: refusal.statusCode,
            reason: refusal.reason,
            provider: source.profile?.id ?? String(source.configError ? 'unconfigured' : ''),
            headers: refusal.headers,
            receivedAt: refusal.receivedAt.toISOString(),
          }),
        ]);
      },
      onOutcome(outcome: DeliveryOutcome, context: OutcomeContext) {
        const { deliveryId } = context;
        if (deliveryId !== undefined && (outcome.kind === 'accepted' || outcome.kind === 'invalid')) {
          if (outcome.kind === 'accepted') counts.accepted++;
          else counts.invalid++;
          scheduleStatus();
          // Stored while the flows were starting or the node closing: recovery emits it, so it is not emitted twice.
          if (closing || !flowsStarted) return;
          const output = outcome.kind === 'accepted' ? 0 : 1;
          markEmitted(deliveryId, output, 1);
          emitStored(outcome.body, outcome.meta, outcome.kind === 'invalid' ? outcome.issues : [], {
            deliveryId,
            attempt: 1,
            replay: false,
          });
          return;
        }
        switch (outcome.kind) {
          case 'rejected':
            counts.rejected++;
            logRejected(outcome.statusCode, outcome.reason, outcome.headers, Date.now(), context.rawBody);
            node.send([
              null,
              rejectionMessage({
                statusCode: outcome.statusCode,
                reason: outcome.reason,
                provider: processor!.profile.id,
                headers: outcome.headers,
                receivedAt: new Date().toISOString(),
              }),
            ]);
            break;
          case 'duplicate':
            counts.duplicates++;
            break;
          case 'invalid': {
            counts.invalid++;
            node.lastDelivery = { payload: outcome.body, webhook: outcome.meta };
            const rejection: RejectedDelivery & { event: unknown } = {
              statusCode: 200,
              reason: outcome.meta.eventType
                ? RED._('sales-webhook-in.errors.schema', { eventType: outcome.meta.eventType })
                : RED._('sales-webhook-in.errors.schema-no-type'),
              provider: outcome.meta.provider,
              headers: outcome.meta.headers,
              receivedAt: outcome.meta.receivedAt,
              issues: outcome.issues,
              event: outcome.body,
            };
            node.send([
              null,
              { payload: rejection, topic: outcome.meta.eventType, webhook: outcome.meta } as NodeMessage,
            ]);
            break;
          }
          case 'accepted':
            counts.accepted++;
            node.lastDelivery = { payload: outcome.body, webhook: outcome.meta };
            node.send([
              { payload: outcome.body, topic: outcome.meta.eventType, webhook: outcome.meta } as NodeMessage,
              null,
            ]);
            break;
        }
        if (guard && outcome.kind !== 'rejected' && outcome.kind !== 'duplicate')
          saveTimer ??= setTimeout(saveSeen, SAVE_DELAY_MS);
        scheduleStatus();
      },
    };

    let route: WebhookRoute;
    try {
      route = registerWebhookRoute(
        RED.httpNode as any,
        url,
        RED.settings as unknown as RouteSettings,
        (req, res) => handleWebhookRequest(endpoint, req, res),
        {
          httpAdmin: RED.httpAdmin as any,
          // Like core's http in: when the node that answered on this path is removed, this one takes over.
          onOwner: () => {
            if (source.configError) fail('source-config', { reason: source.configError });
            else showListening();
          },
        },
      );
    } catch (err) {
      closing = true;
      RED.events.removeListener('flows:started', onFlowsStarted);
      redelivery?.stop();
      unregisterConsumer?.();
      void inbox?.release();
      if (err instanceof InvalidWebhookPathError) return fail('invalid-url', { url });
      if (err instanceof AdminRouteError) return fail('admin-route', { url, route: err.adminRoute });
      throw err;
    }
    if (!route.owner) fail('route-conflict', { url });
    else if (processor) showListening();

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      route.unregister();
      status.cancel();
      if (saveTimer) clearTimeout(saveTimer);
      node.status({});
      RED.events.removeListener('flows:started', onFlowsStarted);
      redelivery?.stop();
      unregisterConsumer?.();
      // Queued writes finish first: they were acknowledged to a sender.
      const released = inbox ? inbox.release().catch((err: Error) => node.warn(err.message)) : Promise.resolve();
      void released.then(() => (guard ? saveSeen(done) : done()));
    });
  }

  RED.nodes.registerType('sales-webhook in', SalesWebhookIn as any);
  registerSendTestEndpoint(RED);

  // The dialog warns about a path as the runtime would refuse it at deploy: the rule lives once, here.
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
  registerInboxStatsRoute(RED);
};
