import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SETTLED_STATES, type DeliveryState } from '../inbox/types';

/** What a sender's request came to: stored and emitted, a repeat, refused (signature, size, store, …), or stored and
 * emitted on the second output because the event failed its schema. */
export type RequestOutcome = 'accepted' | 'duplicate' | 'rejected' | 'invalid';

/** Seconds from a request's arrival to its answer: a few milliseconds normally, up to the senders' timeouts. */
const ACKNOWLEDGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds of one CRM API call: tens of milliseconds to the account's timeout. */
const CRM_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * This package's Prometheus metrics, in a registry of its own: prom-client's global registry may be shared with
 * other packages in the same Node-RED, whose metrics (or a second copy of ours) would clash there.
 */
export class SalesWebhookMetrics {
  readonly registry = new Registry();
  private unsettledCount: () => Promise<number> = () => Promise.resolve(0);

  private readonly requests = new Counter({
    name: 'sales_webhooks_requests_total',
    help: 'Webhook requests answered, by platform and outcome (accepted, duplicate, rejected, invalid).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly settled = new Counter({
    name: 'sales_webhooks_settled_total',
    help: 'Deliveries settled, by platform and state (delivered, handled, failed).',
    labelNames: ['provider', 'state'] as const,
    registers: [this.registry],
  });
  private readonly crmRequests = new Counter({
    name: 'sales_webhooks_crm_requests_total',
    help: 'CRM API requests, by CRM system and HTTP status (error: no answer).',
    labelNames: ['system', 'status'] as const,
    registers: [this.registry],
  });
  private readonly acknowledgeSeconds = new Histogram({
    name: 'sales_webhooks_acknowledge_seconds',
    help: 'Time from a webhook request arriving to its answer being sent, by platform.',
    labelNames: ['provider'] as const,
    buckets: ACKNOWLEDGE_BUCKETS,
    registers: [this.registry],
  });
  private readonly crmSeconds = new Histogram({
    name: 'sales_webhooks_crm_request_seconds',
    help: 'Latency of one CRM API request until its answer arrived, by CRM system.',
    labelNames: ['system'] as const,
    buckets: CRM_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    const metrics = this;
    new Gauge({
      name: 'sales_webhooks_unsettled',
      help: 'Deliveries answered 2xx and not yet settled (received or emitted), in every store in use.',
      registers: [this.registry],
      async collect() {
        this.set(await metrics.unsettledCount());
      },
    });
  }

  /** Label children bound once per label set: the hot path neither builds label objects nor validates them. */
  private readonly requestChildren = new Map<string, { inc(): void }>();
  /** Per platform and settled state: bound once, so a settlement does not hash its labels each time. */
  private readonly settledChildren = new Map<string, Map<DeliveryState, { inc(): void }>>();
  private readonly acknowledgeChildren = new Map<string, { observe(seconds: number): void }>();

  /** The request counters of one platform, bound once (a receiving node keeps them: nothing is looked up per request). */
  requestCounters(provider: string): Record<RequestOutcome, { inc(): void }> {
    return {
      accepted: this.requestChild(provider, 'accepted'),
      duplicate: this.requestChild(provider, 'duplicate'),
      rejected: this.requestChild(provider, 'rejected'),
      invalid: this.requestChild(provider, 'invalid'),
    };
  }

  /** The acknowledgement histogram of one platform, bound once: observe the seconds from arrival to answer. */
  acknowledgementTimer(provider: string): { observe(seconds: number): void } {
    let child = this.acknowledgeChildren.get(provider);
    if (!child) this.acknowledgeChildren.set(provider, (child = this.acknowledgeSeconds.labels({ provider })));
    return child;
  }

  private requestChild(provider: string, outcome: RequestOutcome): { inc(): void } {
    const key = `${provider}\u0000${outcome}`;
    let child = this.requestChildren.get(key);
    if (!child) this.requestChildren.set(key, (child = this.requests.labels({ provider, outcome })));
    return child;
  }

  /** A delivery's state after a change: settled states count, the others (received, emitted) do not. */
  countState(provider: string, state: DeliveryState): void {
    if (!SETTLED_STATES.includes(state)) return;
    let byState = this.settledChildren.get(provider);
    if (!byState) this.settledChildren.set(provider, (byState = new Map()));
    let child = byState.get(state);
    if (!child) byState.set(state, (child = this.settled.labels({ provider, state })));
    child.inc();
  }

  /** Runs one CRM request, counting it by the status it got (`error` when none) and timing it. */
  async timeCrmRequest<T extends { statusCode: number }>(system: string, request: () => Promise<T>): Promise<T> {
    const stop = this.crmSeconds.startTimer({ system });
    let status = 'error';
    try {
      const answer = await request();
      status = String(answer.statusCode);
      return answer;
    } finally {
      stop();
      this.crmRequests.inc({ system, status });
    }
  }

  /** How the unsettled gauge counts, read at each scrape (the stores know; nothing is kept here). */
  countUnsettledWith(count: () => Promise<number>): void {
    this.unsettledCount = count;
  }

  /** The Prometheus text exposition. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/** One per process, like the stores and the delivery log: every node and account counts into it. */
export const salesWebhookMetrics = new SalesWebhookMetrics();

/** `salesWebhooks.metrics` in settings.js. */
export interface MetricsUserSettings {
  /** Serve /sales-webhooks/metrics without adminAuth's `sales-webhooks.read` (a Prometheus with no token). */
  open?: boolean;
}

/** Reads `salesWebhooks: { metrics: { open } }`; anything but `true` keeps the endpoint behind adminAuth. */
export function resolveMetricsSettings(salesWebhooks: unknown): { open: boolean; warnings: string[] } {
  const metrics = (salesWebhooks as { metrics?: MetricsUserSettings } | undefined)?.metrics;
  const open = metrics?.open;
  if (open === undefined || typeof open === 'boolean') return { open: open === true, warnings: [] };
  return { open: false, warnings: ['salesWebhooks.metrics.open must be true or false; the metrics need a login'] };
}
