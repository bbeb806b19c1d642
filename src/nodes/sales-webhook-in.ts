import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { receiveRedaction, type DeliveryOutcome, type DeliveryProcessor } from '../receive/delivery';
import { DuplicateGuard } from '../receive/duplicateGuard';
import { handleWebhookRequest, type Refusal, type WebhookEndpoint } from '../receive/endpoint';
import { migrate } from '../migrations';
import { WEBHOOK_IN_DEFAULTS } from '../receive/webhookInDefaults';
import { positiveNumber } from '../shared/numbers';
import { throttledStatus } from '../shared/throttledStatus';
import type { RejectedDelivery, WebhookMeta } from '../receive/types';
import type { SalesWebhookSourceNode } from './source-node';
import { registerSendTestEndpoint } from './send-test-endpoint';
import { AdminRouteError, InvalidWebhookPathError, registerWebhookRoute, webhookPathProblem, type RouteSettings, type WebhookRoute } from './webhook-routes';

interface WebhookInConfig extends NodeDef {
  url: string;
  source: string;
  maxBytes?: number | string;
  /** Seconds a body may take to arrive. */
  bodyTimeout?: number | string;
  dedupe?: boolean;
  dedupeHours?: number | string;
  dedupeLimit?: number | string;
  dedupeStore?: string;
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
    const source = RED.nodes.getNode(config.source) as SalesWebhookSourceNode | null;
    if (!source) return fail('missing-source');
    node.url = url;
    node.source = source;

    const credentials = source.credentials ?? {};
    const redaction = receiveRedaction(source.authenticationHeaders, [credentials.secret, credentials.previousSecret, credentials.token]);
    let processor: DeliveryProcessor | null = null;
    const guard = config.dedupe === false ? undefined : new DuplicateGuard(dedupeHours * 3600 * 1000, Math.floor(dedupeLimit));
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
    const showStatus = () => {
      if (!processor) return;
      const unverified = processor.profile.verification.kind === 'none';
      const text = RED._('sales-webhook-in.status.counts', {
        accepted: String(counts.accepted),
        rejected: String(counts.rejected + counts.invalid),
        duplicates: String(counts.duplicates),
      });
      node.status({
        fill: unverified ? 'yellow' : counts.rejected + counts.invalid > 0 && counts.accepted === 0 ? 'red' : 'green',
        shape: unverified ? 'ring' : 'dot',
        text: unverified ? `${RED._('sales-webhook-in.status.unverified')} · ${text}` : text,
      });
    };
    const status = throttledStatus(showStatus);
    const scheduleStatus = status.schedule;
    const showListening = () => {
      if (!processor) return;
      node.status(processor.profile.verification.kind === 'none'
        ? { fill: 'yellow', shape: 'ring', text: RED._('sales-webhook-in.status.unverified') }
        : { fill: 'green', shape: 'ring', text: RED._('sales-webhook-in.status.listening', { url }) });
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
    const endpoint: WebhookEndpoint = {
      maxBytes,
      bodyTimeoutMs: bodyTimeoutSeconds * 1000,
      redaction,
      ready,
      processor: () => processor,
      onRefusal(refusal: Refusal) {
        counts.rejected++;
        scheduleStatus();
        node.send([null, rejectionMessage({
          statusCode: refusal.statusCode,
          reason: refusal.reason,
          provider: source.profile?.id ?? String(source.configError ? 'unconfigured' : ''),
          headers: refusal.headers,
          receivedAt: refusal.receivedAt.toISOString(),
        })]);
      },
      onOutcome(outcome: DeliveryOutcome) {
        switch (outcome.kind) {
          case 'rejected':
            counts.rejected++;
            node.send([null, rejectionMessage({
              statusCode: outcome.statusCode,
              reason: outcome.reason,
              provider: processor!.profile.id,
              headers: outcome.headers,
              receivedAt: new Date().toISOString(),
            })]);
            break;
          case 'duplicate':
            counts.duplicates++;
            break;
          case 'invalid': {
            counts.invalid++;
            node.lastDelivery = { payload: outcome.body, webhook: outcome.meta };
            const rejection: RejectedDelivery & { event: unknown } = {
              statusCode: 200,
              reason: outcome.meta.eventType ? RED._('sales-webhook-in.errors.schema', { eventType: outcome.meta.eventType }) : RED._('sales-webhook-in.errors.schema-no-type'),
              provider: outcome.meta.provider,
              headers: outcome.meta.headers,
              receivedAt: outcome.meta.receivedAt,
              issues: outcome.issues,
              event: outcome.body,
            };
            node.send([null, { payload: rejection, topic: outcome.meta.eventType, webhook: outcome.meta } as NodeMessage]);
            break;
          }
          case 'accepted':
            counts.accepted++;
            node.lastDelivery = { payload: outcome.body, webhook: outcome.meta };
            node.send([{ payload: outcome.body, topic: outcome.meta.eventType, webhook: outcome.meta } as NodeMessage, null]);
            break;
        }
        if (guard && outcome.kind !== 'rejected' && outcome.kind !== 'duplicate') saveTimer ??= setTimeout(saveSeen, SAVE_DELAY_MS);
        scheduleStatus();
      },
    };

    let route: WebhookRoute;
    try {
      route = registerWebhookRoute(RED.httpNode as any, url, RED.settings as unknown as RouteSettings, (req, res) => handleWebhookRequest(endpoint, req, res), {
        httpAdmin: RED.httpAdmin as any,
        // Like core's http in: when the node that answered on this path is removed, this one takes over.
        onOwner: () => {
          if (source.configError) fail('source-config', { reason: source.configError });
          else showListening();
        },
      });
    } catch (err) {
      if (err instanceof InvalidWebhookPathError) return fail('invalid-url', { url });
      if (err instanceof AdminRouteError) return fail('admin-route', { url, route: err.adminRoute });
      throw err;
    }
    if (!route.owner) fail('route-conflict', { url });
    else if (processor) showListening();

    node.on('close', (_removed: boolean, done: () => void) => {
      route.unregister();
      status.cancel();
      if (saveTimer) clearTimeout(saveTimer);
      node.status({});
      if (guard) saveSeen(done);
      else done();
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
    if (problem instanceof InvalidWebhookPathError) return res.json({ problem: RED._('sales-webhook-in.errors.invalid-url', { url }) });
    if (problem instanceof AdminRouteError) return res.json({ problem: RED._('sales-webhook-in.errors.admin-route', { url, route: problem.adminRoute }) });
    res.json({ problem: null });
  });
};
