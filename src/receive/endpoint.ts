import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonContentType } from './contentType';
import { processDelivery, redactHeaders, type DeliveryOutcome, type DeliveryProcessor } from './delivery';

export const DEFAULT_MAX_BYTES = 1024 * 1024;

/** A request the endpoint refused before or without verification succeeding. */
export interface Refusal {
  statusCode: number;
  reason: string;
  headers: Record<string, string>;
  receivedAt: Date;
  /** The body, when it was read before the refusal (for the delivery log). */
  rawBody?: Buffer;
}

/** What the durable inbox made of a verified delivery: stored (with its id), a repeat, or it could not write. */
export type PersistResult = { stored: true; deliveryId: string } | { stored: false } | { unavailable: string };

/** What the node gets with each outcome: the exact bytes, and the inbox id once stored. */
export interface OutcomeContext {
  rawBody: Buffer;
  deliveryId?: string;
}

export interface WebhookEndpoint {
  maxBytes: number;
  /** The processor in force; null while the node's configuration is unusable (every request gets 503). */
  processor(): DeliveryProcessor | null;
  /** Resolves once persisted duplicate keys are loaded, so no retry slips through at start-up. */
  ready?: Promise<void>;
  /**
   * The durable step between deciding and answering: a verified delivery is answered 2xx only once this resolves
   * stored; a repeat is a duplicate; `unavailable` is a 503 (the sender retries). Absent: answer at once.
   */
  persist?(outcome: DeliveryOutcome & { kind: 'accepted' | 'invalid' }, rawBody: Buffer, receivedAt: Date): Promise<PersistResult>;
  onOutcome(outcome: DeliveryOutcome, context: OutcomeContext): void;
  onRefusal(refusal: Refusal): void;
}

/** How long a sender should wait before retrying after the inbox could not write. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 30;

const RESPONSE_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const RECEIVED = Buffer.from('{"received":true}');
const RECEIVED_DUPLICATE = Buffer.from('{"received":true,"duplicate":true}');
const RECEIVED_INVALID = Buffer.from('{"received":true,"valid":false}');

function send(res: ServerResponse, statusCode: number, body: Buffer, extraHeaders?: Record<string, string>): void {
  if (res.headersSent) return;
  res.writeHead(statusCode, { ...RESPONSE_HEADERS, ...extraHeaders, 'content-length': String(body.length) });
  res.end(body);
}

function sendError(res: ServerResponse, statusCode: number, reason: string, extraHeaders?: Record<string, string>): void {
  send(res, statusCode, Buffer.from(JSON.stringify({ error: reason })), extraHeaders);
}

/**
 * Handles one HTTP request for a webhook route: method, content type and size are checked before a byte
 * is kept; the body is read raw and never past `maxBytes`; then the processor decides.
 */
export function handleWebhookRequest(endpoint: WebhookEndpoint, req: IncomingMessage, res: ServerResponse): void {
  const receivedAt = new Date();
  const refuse = (statusCode: number, reason: string, extraHeaders?: Record<string, string>, rawBody?: Buffer) => {
    sendError(res, statusCode, reason, extraHeaders);
    const processor = endpoint.processor();
    endpoint.onRefusal({ statusCode, reason, receivedAt, rawBody, headers: redactHeaders(req.headers, processor ? processor.redactedHeaders : new Set(['authorization', 'cookie'])) });
  };

  if (req.method !== 'POST') return refuse(405, 'method not allowed, use POST', { allow: 'POST' });
  if (!endpoint.processor()) return refuse(503, 'webhook receiver is not configured');
  if (!isJsonContentType(req.headers['content-type'])) return refuse(415, 'content type must be application/json');
  if (req.readableEnded) return refuse(500, 'request body was consumed before the webhook node could read it');

  const { maxBytes } = endpoint;
  const closeAfterTooLarge = () => {
    // Stop reading; the connection closes once the 413 is out, so the rest of the body is never accepted.
    req.removeAllListeners('data');
    req.pause();
    res.once('finish', () => req.socket?.destroy());
    refuse(413, `body is larger than ${maxBytes} bytes`, { connection: 'close' });
  };
  const declaredLength = Number(req.headers['content-length']);
  if (declaredLength > maxBytes) return closeAfterTooLarge();

  const chunks: Buffer[] = [];
  let received = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes) {
      tooLarge = true;
      closeAfterTooLarge();
      return;
    }
    chunks.push(chunk);
  });
  req.on('error', () => { /* the sender went away; nothing to answer */ });
  req.on('end', () => {
    if (tooLarge) return;
    const rawBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
    const decide = () => answer(endpoint, { rawBody, headers: req.headers }, receivedAt, res, refuse);
    if (endpoint.ready) endpoint.ready.then(decide, decide);
    else decide();
  });
}

function answer(
  endpoint: WebhookEndpoint,
  delivery: { rawBody: Buffer; headers: IncomingMessage['headers'] },
  receivedAt: Date,
  res: ServerResponse,
  refuse: (statusCode: number, reason: string, extraHeaders?: Record<string, string>, rawBody?: Buffer) => void,
): void {
  const processor = endpoint.processor();
  if (!processor) return refuse(503, 'webhook receiver is not configured', undefined, delivery.rawBody);
  let outcome: DeliveryOutcome;
  try {
    outcome = processDelivery(processor, delivery, receivedAt);
  } catch {
    return refuse(500, 'internal error while checking the delivery', undefined, delivery.rawBody);
  }
  if (endpoint.persist && (outcome.kind === 'accepted' || outcome.kind === 'invalid')) {
    const decided = outcome;
    endpoint.persist(decided, delivery.rawBody, receivedAt).then(
      (result) => {
        if ('unavailable' in result) {
          return refuse(503, 'the webhook inbox cannot store deliveries right now; retry later', { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) }, delivery.rawBody);
        }
        if (!result.stored) return respond(endpoint, { kind: 'duplicate', key: decided.key, meta: decided.meta }, { rawBody: delivery.rawBody }, res);
        respond(endpoint, decided, { rawBody: delivery.rawBody, deliveryId: result.deliveryId }, res);
      },
      () => refuse(500, 'internal error while storing the delivery', undefined, delivery.rawBody),
    );
    return;
  }
  respond(endpoint, outcome, { rawBody: delivery.rawBody }, res);
}

function respond(endpoint: WebhookEndpoint, outcome: DeliveryOutcome, context: OutcomeContext, res: ServerResponse): void {
  switch (outcome.kind) {
    case 'rejected':
      sendError(res, outcome.statusCode, outcome.reason);
      break;
    case 'duplicate':
      send(res, 200, RECEIVED_DUPLICATE);
      break;
    case 'invalid':
      send(res, 200, RECEIVED_INVALID);
      break;
    case 'accepted':
      send(res, 200, RECEIVED);
      break;
  }
  endpoint.onOutcome(outcome, context);
}
