import { reportAlertSignal } from '../alerts/signals';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { DeliveryLifecycle, type Emission } from '../delivery/lifecycle';
import { emissionMessages } from '../delivery/messages';
import { REJECTED_BODY_BYTES, type StoreHealth } from '../inbox/types';
import { describeInboxProblem } from '../inbox/settings';
import { receiveRedaction, type DeliveryOutcome, type DeliveryProcessor } from '../receive/delivery';
import { handleWebhookRequest, type OutcomeContext, type Refusal, type WebhookEndpoint } from '../receive/endpoint';
import { migrate } from '../migrations';
import { salesWebhookMetrics } from '../metrics/metrics';
import { WEBHOOK_IN_DEFAULTS } from '../receive/webhookInDefaults';
import { positiveNumber } from '../shared/numbers';
import { throttledStatus } from '../shared/throttledStatus';
import type { RejectedDelivery, WebhookMeta } from '../receive/types';
import type { SalesWebhookSourceNode } from './source-node';
import { acquireMessageTracker } from './delivery-hooks';
import { openReceivingStore } from './inbox-choice';
import { registerInboxStatsRoute } from './inbox-service';
import { registerSendTestEndpoint } from './send-test-endpoint';
import { settlingPointsOf } from './settling-points';
import { registerCheckPathRoute, registerReceivingRoute } from './webhook-in-routes';
import { guardPackageAdminRoutes } from './admin-guard';

interface WebhookInConfig extends NodeDef {
  url: string;
  source: string;
  maxBytes?: number | string;
  /** Seconds a body may take to arrive. */
  bodyTimeout?: number | string;
  dedupe?: boolean;
  dedupeHours?: number | string;
  dedupeLimit?: number | string;
  /** Inbox off only: the context store that keeps the duplicate keys across restarts. */
  dedupeStore?: string;
  /** Store every delivery durably before answering 2xx (default on; absent in flows saved before the inbox). */
  inbox?: boolean;
  /** A `sales-webhook-redis` config node shared by several Node-RED instances; empty: the embedded file. */
  store?: string;
  leaseMinutes?: number | string;
  maxAttempts?: number | string;
}

interface WebhookInNode extends Node {
  /** The last delivery this node emitted, for the lead-map dialog's sample box. */
  lastDelivery?: { payload: Record<string, unknown>; webhook: WebhookMeta };
  /** The path it listens on under httpNodeRoot, for the test-event sender. */
  url?: string;
  source?: SalesWebhookSourceNode;
}

export = function (RED: NodeAPI) {
  guardPackageAdminRoutes(RED);
  function SalesWebhookIn(this: WebhookInNode, storedConfig: WebhookInConfig) {
    RED.nodes.createNode(this, storedConfig);
    const config = migrate('sales-webhook in', storedConfig);
    const node = this;
    const t = (key: string, params?: Record<string, string | number>) => RED._(`sales-webhook-in.${key}`, params);
    const fail = (key: string, params?: Record<string, string>) => {
      const text = t(`errors.${key}`, params);
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
    if (source.configError || !source.profile || !source.verifier) {
      fail('source-config', { reason: source.configError ?? '' });
    } else {
      processor = { profile: source.profile, verifier: source.verifier, redaction };
      if (source.profile.verification.kind === 'none') node.warn(t('warn.unverified'));
    }
    const providerLabel = () => source.profile?.id ?? 'unconfigured';
    const duplicateWindowMs = config.dedupe === false ? 0 : dedupeHours * 3600 * 1000;

    // The path first; requests reach the endpoint below (nothing arrives before this constructor returns).
    const route = registerReceivingRoute(
      RED,
      url,
      (req, res) => {
        salesWebhookMetrics.timeAcknowledgement(res, providerLabel());
        handleWebhookRequest(endpoint, req, res);
      },
      () => {
        if (source.configError) fail('source-config', { reason: source.configError });
        else showListening();
      },
    );
    // A refused path opens nothing: the node stays inert.
    if ('problem' in route) return fail(route.problem, { url, ...route.params });

    const counts = { accepted: 0, rejected: 0, invalid: 0, duplicates: 0 };
    /** Why the store cannot take deliveries, while it cannot: the status stays red until it can. */
    let storeProblem: string | undefined;
    /** Set while the store writes but cannot promise the disk (Redis without fsync at every write). */
    let storeCaution: string | undefined;
    const showStatus = () => {
      if (!processor) return;
      if (storeProblem) return node.status({ fill: 'red', shape: 'ring', text: storeProblem });
      const unverified = processor.profile.verification.kind === 'none';
      const text = t('status.counts', {
        accepted: counts.accepted,
        rejected: counts.rejected + counts.invalid,
        duplicates: counts.duplicates,
      });
      const warning = unverified || storeCaution;
      node.status({
        fill: warning ? 'yellow' : counts.rejected + counts.invalid > 0 && counts.accepted === 0 ? 'red' : 'green',
        shape: warning ? 'ring' : 'dot',
        text: [unverified ? t('status.unverified') : '', storeCaution ?? '', text].filter(Boolean).join(' · '),
      });
    };
    const status = throttledStatus(showStatus);
    const showListening = () => {
      if (!processor) return;
      node.status(
        processor.profile.verification.kind === 'none'
          ? { fill: 'yellow', shape: 'ring', text: t('status.unverified') }
          : { fill: 'green', shape: 'ring', text: t('status.listening', { url }) },
      );
    };

    // Inbox on: the embedded file or a Redis store; off: a memory store. Either way, one path below.
    const chosen = processor
      ? openReceivingStore(RED, node, {
          inbox: config.inbox !== false,
          storeId: config.store,
          contextStore: config.dedupeStore || undefined,
          duplicateWindowMs,
          duplicateLimit: Math.floor(dedupeLimit),
          caution: (text) => {
            storeCaution = text;
            status.schedule();
          },
        })
      : undefined;
    const healthChanged = (health: StoreHealth) => {
      const text = health.ok
        ? undefined
        : t('status.inbox-unavailable', {
            problem: describeInboxProblem(health.reason),
            file: chosen?.store.location ?? '',
          });
      if (text === storeProblem) return;
      reportAlertSignal({ type: 'store-health', node: node.id, location: chosen?.store.location ?? '', ...health });
      if (text) node.warn(`${text}: ${health.ok ? '' : health.reason}`);
      storeProblem = text;
      if (text) showStatus();
      else status.schedule();
    };
    const messages = acquireMessageTracker(RED);
    const schemaReason = (eventType: string | undefined) =>
      eventType ? t('errors.schema', { eventType }) : t('errors.schema-no-type');
    const lifecycle = chosen
      ? new DeliveryLifecycle({
          node: node.id,
          store: chosen.store,
          tracker: messages.tracker,
          leaseMs: leaseMinutes * 60_000,
          maxAttempts,
          host: {
            send(emission: Emission, msgid: string) {
              const out = emissionMessages(emission, node.id, msgid, schemaReason);
              if (out[0]) node.lastDelivery = { payload: emission.payload, webhook: out[0].webhook };
              node.send(out as unknown as NodeMessage[]);
            },
            newMessageId: () => RED.util.generateId(),
            healthChanged,
            error: (err) => node.error(err),
          },
        })
      : undefined;
    chosen?.store.ready().then(
      () => healthChanged(chosen.store.health()),
      (err: Error) => healthChanged({ ok: false, reason: err.message }),
    );
    // Downstream nodes exist only once the flows have started: the lifecycle emits (and recovers) from then on.
    const onFlowsStarted = () => {
      lifecycle?.setSettlingPoints(settlingPointsOf(RED, node.id));
      lifecycle?.start();
    };
    if (lifecycle) {
      lifecycle.setSettlingPoints(settlingPointsOf(RED, node.id));
      RED.events.on('flows:started', onFlowsStarted);
    }

    const logRejected = (statusCode: number, reason: string, headers: Record<string, string>, rawBody?: Buffer) => {
      counts.rejected++;
      salesWebhookMetrics.countRequest(providerLabel(), 'rejected');
      status.schedule();
      reportAlertSignal({ type: 'refused', node: node.id, provider: source.profile?.id });
      const receivedAt = Date.now();
      lifecycle?.logRejected({
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
      const rejection: RejectedDelivery = {
        statusCode,
        reason,
        provider: source.profile?.id ?? String(source.configError ? 'unconfigured' : ''),
        headers,
        receivedAt: new Date(receivedAt).toISOString(),
      };
      node.send([null, { payload: rejection, topic: 'rejected' }]);
    };
    const endpoint: WebhookEndpoint = {
      maxBytes,
      bodyTimeoutMs: bodyTimeoutSeconds * 1000,
      redaction,
      ready: chosen?.restored,
      processor: () => processor,
      persist: (outcome, rawBody, receivedAt) =>
        lifecycle!.accept({
          node: node.id,
          duplicateKey: outcome.key,
          duplicateWindowMs,
          duplicateLimit: Math.floor(dedupeLimit),
          receivedAt: receivedAt.getTime(),
          rawBody,
          meta: outcome.meta,
          issues: outcome.kind === 'invalid' ? outcome.issues : [],
        }),
      onRefusal: (refusal: Refusal) =>
        logRejected(refusal.statusCode, refusal.reason, refusal.headers, refusal.rawBody),
      onOutcome(outcome: DeliveryOutcome, context: OutcomeContext) {
        if (outcome.kind === 'rejected')
          return logRejected(outcome.statusCode, outcome.reason, outcome.headers, context.rawBody);
        salesWebhookMetrics.countRequest(providerLabel(), outcome.kind);
        if (outcome.kind === 'duplicate') counts.duplicates++;
        else if (outcome.kind === 'invalid') counts.invalid++;
        else counts.accepted++;
        status.schedule();
        if (outcome.kind === 'duplicate' || context.deliveryId === undefined) return;
        chosen?.keysChanged();
        lifecycle?.emitAccepted({
          id: context.deliveryId,
          payload: outcome.body,
          meta: outcome.meta,
          issues: outcome.kind === 'invalid' ? outcome.issues : [],
          attempt: 1,
          replay: false,
        });
      },
    };

    const stop = () => {
      RED.events.removeListener('flows:started', onFlowsStarted);
      lifecycle?.close();
      messages.release();
      // Queued writes finish first: they were acknowledged to a sender.
      return chosen ? chosen.release().catch((err: Error) => node.warn(err.message)) : Promise.resolve();
    };
    if (!route.owner) fail('route-conflict', { url });
    else if (processor) showListening();

    node.on('close', (_removed: boolean, done: () => void) => {
      route.unregister();
      status.cancel();
      node.status({});
      void stop().then(() => done());
    });
  }

  RED.nodes.registerType('sales-webhook in', SalesWebhookIn as any);
  registerSendTestEndpoint(RED);
  registerCheckPathRoute(RED);
  registerInboxStatsRoute(RED);
};
