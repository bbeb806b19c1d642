import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { DeliveryLifecycle } from '../delivery/lifecycle';
import { emissionMessages } from '../delivery/messages';
import { DeliveryReceiver, receivingStatus, type ReceiveCounts } from '../delivery/receiver';
import { describeInboxProblem } from '../inbox/settings';
import type { StoreHealth } from '../inbox/types';
import { migrate } from '../migrations';
import { receiveRedaction, type DeliveryProcessor } from '../receive/delivery';
import { handleWebhookRequest } from '../receive/endpoint';
import { receivingSettingsOf, type WebhookInConfig } from '../receive/receivingConfig';
import type { WebhookMeta } from '../receive/types';
import { throttledStatus } from '../shared/throttledStatus';
import { guardPackageAdminRoutes } from './admin-guard';
import { acquireMessageTracker } from './delivery-hooks';
import { openReceivingStore } from './inbox-choice';
import { registerInboxStatsRoute } from './inbox-service';
import { registerSendTestEndpoint } from './send-test-endpoint';
import { settlingPointsOf } from './settling-points';
import type { SalesWebhookSourceNode } from './source-node';
import { registerCheckPathRoute, registerReceivingRoute } from './webhook-in-routes';

interface WebhookInNode extends Node {
  /** The last delivery this node emitted, for the lead-map dialog's sample box. */
  lastDelivery?: { payload: Record<string, unknown>; webhook: WebhookMeta };
  /** The path it listens on under httpNodeRoot, for the test-event sender. */
  url?: string;
  source?: SalesWebhookSourceNode;
}

/**
 * `sales webhook in`: wires a DeliveryReceiver (src/delivery/receiver.ts) and its DeliveryLifecycle to Node-RED: the
 * route, the outputs, the status, the flows' start and the node's close. What a request comes to is decided below.
 */
export = function (RED: NodeAPI) {
  guardPackageAdminRoutes(RED);
  function SalesWebhookIn(this: WebhookInNode, storedConfig: NodeDef & WebhookInConfig) {
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
    const settings = receivingSettingsOf(config);
    if ('problem' in settings) return fail(settings.problem);
    const { url } = settings;
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
    const unverified = processor?.profile.verification.kind === 'none';

    /** Why the store cannot take deliveries, while it cannot: the status stays red until it can. */
    let storeProblem: string | undefined;
    /** Set while the store writes but cannot promise the disk (Redis without fsync at every write). */
    let storeCaution: string | undefined;
    const statusTexts = {
      counts: (c: Readonly<ReceiveCounts>) =>
        t('status.counts', { accepted: c.accepted, rejected: c.rejected + c.invalid, duplicates: c.duplicates }),
      unverified: t('status.unverified'),
      listening: t('status.listening', { url }),
    };
    const showStatus = () => {
      if (!processor) return;
      const counts = receiver.counts;
      node.status(receivingStatus({ counts, unverified, storeProblem, caution: storeCaution }, statusTexts));
    };
    const showListening = () => {
      if (processor) node.status(receivingStatus({ unverified }, statusTexts));
    };
    const status = throttledStatus(showStatus);

    // The path first; requests reach the receiver below (nothing arrives before this constructor returns).
    const route = registerReceivingRoute(
      RED,
      url,
      (req, res) => handleWebhookRequest(receiver, req, res),
      () => {
        if (source.configError) fail('source-config', { reason: source.configError });
        else showListening();
      },
    );
    // A refused path opens nothing: the node stays inert.
    if ('problem' in route) return fail(route.problem, { url, ...route.params });

    // Inbox on: the embedded file or a Redis store; off: a memory store. Either way, one path below.
    const chosen = processor
      ? openReceivingStore(RED, node, {
          inbox: settings.inbox,
          storeId: settings.storeId,
          contextStore: settings.contextStore,
          duplicateWindowMs: settings.duplicateWindowMs,
          duplicateLimit: settings.duplicateLimit,
          caution: (text) => {
            storeCaution = text;
            status.schedule();
          },
        })
      : undefined;
    const messages = acquireMessageTracker(RED);
    const schemaReason = (eventType: string | undefined) =>
      eventType ? t('errors.schema', { eventType }) : t('errors.schema-no-type');
    const lifecycle = chosen
      ? new DeliveryLifecycle({
          node: node.id,
          store: chosen.store,
          tracker: messages.tracker,
          leaseMs: settings.leaseMs,
          maxAttempts: settings.maxAttempts,
          host: {
            send(emission, msgid) {
              const out = emissionMessages(emission, node.id, msgid, schemaReason);
              if (out[0]) node.lastDelivery = { payload: emission.payload, webhook: out[0].webhook };
              node.send(out as unknown as NodeMessage[]);
            },
            newMessageId: () => RED.util.generateId(),
            healthChanged(health: StoreHealth) {
              const location = chosen?.store.location ?? '';
              storeProblem = health.ok
                ? undefined
                : t('status.inbox-unavailable', { problem: describeInboxProblem(health.reason), file: location });
              if (health.ok) return status.schedule();
              node.warn(`${storeProblem}: ${health.reason}`);
              showStatus();
            },
            error: (err) => node.error(err),
          },
        })
      : undefined;
    const receiver = new DeliveryReceiver({
      node: node.id,
      processor,
      lifecycle,
      maxBytes: settings.maxBytes,
      bodyTimeoutMs: settings.bodyTimeoutMs,
      redaction,
      duplicateWindowMs: settings.duplicateWindowMs,
      duplicateLimit: settings.duplicateLimit,
      restored: chosen?.restored,
      keysChanged: chosen?.keysChanged,
      host: {
        countsChanged: () => status.schedule(),
        sendRefused: (rejection) => node.send([null, { payload: rejection, topic: 'rejected' }]),
        error: (err) => node.error(err),
      },
    });

    // Downstream nodes exist only once the flows have started: the lifecycle emits (and recovers) from then on.
    const onFlowsStarted = () => {
      lifecycle?.setSettlingPoints(settlingPointsOf(RED, node.id));
      lifecycle?.start();
    };
    if (lifecycle) {
      lifecycle.setSettlingPoints(settlingPointsOf(RED, node.id));
      RED.events.on('flows:started', onFlowsStarted);
    }
    if (!route.owner) fail('route-conflict', { url });
    else showListening();

    node.on('close', (_removed: boolean, done: () => void) => {
      route.unregister();
      status.cancel();
      node.status({});
      RED.events.removeListener('flows:started', onFlowsStarted);
      lifecycle?.close();
      messages.release();
      // Queued writes finish first: they were acknowledged to a sender.
      const released = chosen ? chosen.release().catch((err: Error) => node.warn(err.message)) : Promise.resolve();
      void released.then(() => done());
    });
  }

  RED.nodes.registerType('sales-webhook in', SalesWebhookIn as any);
  registerSendTestEndpoint(RED);
  registerCheckPathRoute(RED);
  registerInboxStatsRoute(RED);
};
