import { reportAlertSignal } from '../alerts/signals';
import { REJECTED_BODY_BYTES } from '../inbox/types';
import { salesWebhookMetrics, type RequestOutcome } from '../metrics/metrics';
import {
  errorAnswer,
  RECEIVED,
  RECEIVED_DUPLICATE,
  RECEIVED_INVALID,
  UNAVAILABLE_RETRY_AFTER_SECONDS,
  type Answer,
} from '../receive/answers';
import { processDelivery, type DeliveryOutcome, type DeliveryProcessor } from '../receive/delivery';
import type { ReceivedRequest, Refusal, WebhookReceiver } from '../receive/endpoint';
import type { RejectedDelivery } from '../receive/types';
import { redactHeaders, type HeaderRedaction } from '../redact';
import type { AcceptOutcome, DeliveryLifecycle } from './lifecycle';

/** What a receiving node has answered so far, for its status. */
export interface ReceiveCounts {
  accepted: number;
  /** Refused requests: forged, malformed, too large, too slow, or the store could not take them. */
  rejected: number;
  /** Authentic deliveries that failed their event schema (stored, emitted on output 2). */
  invalid: number;
  duplicates: number;
}

/** What the receiver needs of the node that hosts it: the Node-RED side. */
export interface ReceiverHost {
  /** The counts changed (the node shows them, throttled). */
  countsChanged(counts: Readonly<ReceiveCounts>): void;
  /** A refused request, for output 2. */
  sendRefused(rejection: RejectedDelivery): void;
  /** The decision threw: a programming error the node logs (the sender got 500). */
  error(err: Error): void;
}

export interface ReceiverOptions {
  node: string;
  /** Verification, parsing and schemas in force; null while the node's configuration is unusable (503 to all). */
  processor: DeliveryProcessor | null;
  /** Stores, emits and settles what is accepted; absent only while there is no processor. */
  lifecycle?: DeliveryLifecycle;
  maxBytes: number;
  bodyTimeoutMs: number;
  redaction: HeaderRedaction;
  /** Hours of the duplicate window in milliseconds; 0: duplicates are not suppressed. */
  duplicateWindowMs: number;
  duplicateLimit: number;
  /** Resolves once duplicate keys saved before a restart are back: nothing is decided before, no retry slips through. */
  restored?: Promise<void>;
  /** A delivery was stored (the memory store's keys are saved a little later). */
  keysChanged?(): void;
  host: ReceiverHost;
}

/**
 * The receiving side of one `sales webhook` node, below HTTP and above the store: decides each body (verify, parse,
 * schema), has the lifecycle store it before answering, answers, counts, emits; counts and logs every refusal (metrics,
 * alert signal, delivery log, output 2). Knows nothing of Node-RED. A store that takes a delivery at once (memory) is
 * answered in the same turn: no promise stands between a body and its answer.
 */
export class DeliveryReceiver implements WebhookReceiver {
  readonly maxBytes: number;
  readonly bodyTimeoutMs: number;
  readonly redaction: HeaderRedaction;
  readonly configured: boolean;
  readonly counts: ReceiveCounts = { accepted: 0, rejected: 0, invalid: 0, duplicates: 0 };
  private readonly provider: string;
  private readonly requests: Record<RequestOutcome, { inc(): void }>;
  private readonly acknowledgements: { observe(seconds: number): void };
  private restored: boolean;

  constructor(private readonly options: ReceiverOptions) {
    this.maxBytes = options.maxBytes;
    this.bodyTimeoutMs = options.bodyTimeoutMs;
    this.redaction = options.redaction;
    this.configured = options.processor !== null && options.lifecycle !== undefined;
    this.provider = options.processor?.profile.id ?? 'unconfigured';
    this.requests = salesWebhookMetrics.requestCounters(this.provider);
    this.acknowledgements = salesWebhookMetrics.acknowledgementTimer(this.provider);
    this.restored = options.restored === undefined;
    options.restored?.then(
      () => (this.restored = true),
      () => (this.restored = true),
    );
  }

  receive(request: ReceivedRequest, reply: (answer: Answer) => void): void {
    if (this.restored) return this.decideSafely(request, reply);
    const decide = () => this.decideSafely(request, reply);
    this.options.restored!.then(decide, decide);
  }

  refused(refusal: Refusal): void {
    this.logRefused(refusal.statusCode, refusal.reason, refusal.headers, refusal.receivedAt.getTime());
  }

  answered(seconds: number): void {
    this.acknowledgements.observe(seconds);
  }

  private decideSafely(request: ReceivedRequest, reply: (answer: Answer) => void): void {
    this.safely(reply, () => this.decide(request, reply));
  }

  /** A fault of this package's own (after the answer too) is logged; the sender gets 500 if not answered yet. */
  private safely(reply: (answer: Answer) => void, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.failed(err as Error, reply);
    }
  }

  private decide(request: ReceivedRequest, reply: (answer: Answer) => void): void {
    const { processor, lifecycle } = this.options;
    if (!processor || !lifecycle) return this.refuse(reply, request, 503, 'webhook receiver is not configured');
    let outcome: DeliveryOutcome;
    try {
      outcome = processDelivery(processor, request, request.receivedAt);
    } catch {
      return this.refuse(reply, request, 500, 'internal error while checking the delivery');
    }
    if (outcome.kind === 'rejected') {
      reply(errorAnswer(outcome.statusCode, outcome.reason));
      return this.logRefused(
        outcome.statusCode,
        outcome.reason,
        outcome.headers,
        request.receivedAt.getTime(),
        request,
      );
    }
    const { duplicateWindowMs, duplicateLimit, node } = this.options;
    const issues = outcome.kind === 'invalid' ? outcome.issues : [];
    const stored = lifecycle.accept({
      node,
      duplicateKey: outcome.key,
      duplicateWindowMs,
      duplicateLimit,
      receivedAt: request.receivedAt.getTime(),
      rawBody: request.rawBody,
      meta: outcome.meta,
      issues,
    });
    const decided = outcome;
    if (!(stored instanceof Promise)) return this.answerStored(decided, issues, stored, request, reply);
    // One hop: each handler catches its own faults (a rejection out of here would stop Node-RED).
    stored.then(
      (result) => this.safely(reply, () => this.answerStored(decided, issues, result, request, reply)),
      () => this.safely(reply, () => this.refuse(reply, request, 500, 'internal error while storing the delivery')),
    );
  }

  /** The store's word on a verified delivery: answered, counted and (when stored) emitted. */
  private answerStored(
    outcome: Exclude<DeliveryOutcome, { kind: 'rejected' }>,
    issues: string[],
    result: AcceptOutcome,
    request: ReceivedRequest,
    reply: (answer: Answer) => void,
  ): void {
    if ('unavailable' in result) {
      return this.refuse(reply, request, 503, 'the webhook inbox cannot store deliveries right now; retry later', {
        'retry-after': String(result.retryAfterSeconds ?? UNAVAILABLE_RETRY_AFTER_SECONDS),
      });
    }
    const { counts, options } = this;
    if (!result.stored) {
      reply(RECEIVED_DUPLICATE);
      counts.duplicates++;
      this.requests.duplicate.inc();
      return options.host.countsChanged(counts);
    }
    reply(issues.length ? RECEIVED_INVALID : RECEIVED);
    if (issues.length) {
      counts.invalid++;
      this.requests.invalid.inc();
    } else {
      counts.accepted++;
      this.requests.accepted.inc();
    }
    options.host.countsChanged(counts);
    options.keysChanged?.();
    options.lifecycle!.emitAccepted({
      id: result.deliveryId,
      payload: outcome.body,
      meta: outcome.meta,
      issues,
      attempt: 1,
      replay: false,
    });
  }

  private refuse(
    reply: (answer: Answer) => void,
    request: ReceivedRequest,
    statusCode: number,
    reason: string,
    answerHeaders?: Record<string, string>,
  ): void {
    reply(errorAnswer(statusCode, reason, answerHeaders));
    const headers = redactHeaders(request.headers, this.redaction);
    this.logRefused(statusCode, reason, headers, request.receivedAt.getTime(), request);
  }

  /** Every refusal: counted, signalled to alert nodes, logged with the first bytes of its body, sent on output 2. */
  private logRefused(
    statusCode: number,
    reason: string,
    headers: Record<string, string>,
    receivedAt: number,
    request?: ReceivedRequest,
  ): void {
    const { counts, options } = this;
    counts.rejected++;
    this.requests.rejected.inc();
    options.host.countsChanged(counts);
    const provider = options.processor?.profile.id;
    reportAlertSignal({ type: 'refused', node: options.node, provider });
    const rawBody = request?.rawBody;
    options.lifecycle?.logRejected({
      node: options.node,
      provider: this.provider,
      receivedAt,
      statusCode,
      reason,
      headers,
      // A copy of the first bytes only: a view would carry the whole body (up to the size cap) to the writer.
      bodyPrefix: rawBody ? Buffer.from(rawBody.subarray(0, REJECTED_BODY_BYTES)) : undefined,
      bodyTruncated: rawBody !== undefined && rawBody.length > REJECTED_BODY_BYTES,
    });
    options.host.sendRefused({
      statusCode,
      reason,
      provider: provider ?? (options.processor ? '' : 'unconfigured'),
      headers,
      receivedAt: new Date(receivedAt).toISOString(),
    });
  }

  /** The receiving side itself threw: the sender gets 500 (if not answered yet) and the node logs it. */
  private failed(err: Error, reply: (answer: Answer) => void): void {
    reply(errorAnswer(500, 'internal error while storing the delivery'));
    this.options.host.error(err);
  }
}

/** A node status as Node-RED shows it. */
export interface ReceivingStatus {
  fill: 'red' | 'yellow' | 'green';
  shape: 'dot' | 'ring';
  text: string;
}

/** The status texts, in the runtime's language. */
export interface ReceivingStatusTexts {
  counts(counts: Readonly<ReceiveCounts>): string;
  unverified: string;
  listening: string;
}

/**
 * A receiving node's status: red with the store's problem while it cannot take deliveries; yellow while deliveries are
 * not verified or the store cannot promise the disk (`caution`); else green, listening until the first request, then
 * the counts (red when all were refused).
 */
export function receivingStatus(
  state: { counts?: Readonly<ReceiveCounts>; unverified: boolean; storeProblem?: string; caution?: string },
  texts: ReceivingStatusTexts,
): ReceivingStatus {
  const { counts, unverified, storeProblem, caution } = state;
  if (storeProblem) return { fill: 'red', shape: 'ring', text: storeProblem };
  if (!counts) {
    return unverified
      ? { fill: 'yellow', shape: 'ring', text: texts.unverified }
      : { fill: 'green', shape: 'ring', text: texts.listening };
  }
  const refused = counts.rejected + counts.invalid;
  const warning = unverified || caution;
  return {
    fill: warning ? 'yellow' : refused > 0 && counts.accepted === 0 ? 'red' : 'green',
    shape: warning ? 'ring' : 'dot',
    text: [unverified ? texts.unverified : '', caution ?? '', texts.counts(counts)].filter(Boolean).join(' · '),
  };
}
