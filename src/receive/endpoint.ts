import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonContentType } from './contentType';
import { processDelivery, type DeliveryOutcome, type DeliveryProcessor } from './delivery';
import { redactHeaders, type HeaderRedaction } from '../redact';

export const DEFAULT_MAX_BYTES = 1024 * 1024;
/** A body must be complete this long after its request arrived, or it gets 408 and its memory back. */
export const DEFAULT_BODY_TIMEOUT_MS = 5000;
/** All unfinished bodies of every webhook node together may hold this many bytes; beyond it, 503 with Retry-After. */
export const MAX_PENDING_BYTES = 64 * 1024 * 1024;
/** After a refusal, the rest of the body is read and discarded up to these bounds, so the sender can read the answer. */
export const LINGER_MAX_BYTES = 8 * 1024 * 1024;
export const LINGER_MAX_MS = 5000;

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
export type PersistResult =
  { stored: true; deliveryId: string } | { stored: false } | { unavailable: string; retryAfterSeconds?: number };

/** What the node gets with each outcome: the exact bytes, and the inbox id once stored. */
export interface OutcomeContext {
  rawBody: Buffer;
  deliveryId?: string;
}

export interface WebhookEndpoint {
  maxBytes: number;
  /** Milliseconds a body may take to arrive; DEFAULT_BODY_TIMEOUT_MS when absent. */
  bodyTimeoutMs?: number;
  /** How headers of refused requests are shown; known even while the source's configuration is unusable. */
  redaction: HeaderRedaction;
  /** The processor in force; null while the node's configuration is unusable (every request gets 503). */
  processor(): DeliveryProcessor | null;
  /** Resolves once persisted duplicate keys are loaded, so no retry slips through at start-up. */
  ready?: Promise<void>;
  /**
   * The durable step between deciding and answering: a verified delivery is answered 2xx only once this resolves
   * stored; a repeat is a duplicate; `unavailable` is a 503 (the sender retries). Absent: answer at once.
   */
  persist?(
    outcome: DeliveryOutcome & { kind: 'accepted' | 'invalid' },
    rawBody: Buffer,
    receivedAt: Date,
  ): Promise<PersistResult>;
  onOutcome(outcome: DeliveryOutcome, context: OutcomeContext): void;
  onRefusal(refusal: Refusal): void;
}

let pendingBytes = 0;
/** Bytes held by bodies still arriving, across every webhook node in this process. */
export function pendingBodyBytes(): number {
  return pendingBytes;
}
/** How long a sender should wait before retrying after the inbox could not write. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 30;

const RESPONSE_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
/** What the platform is answered (status 200) for a stored delivery, and for one stored with schema issues. */
export const ACCEPTED_ANSWERS = { accepted: '{"received":true}', invalid: '{"received":true,"valid":false}' };
const RECEIVED = Buffer.from(ACCEPTED_ANSWERS.accepted);
const RECEIVED_DUPLICATE = Buffer.from('{"received":true,"duplicate":true}');
const RECEIVED_INVALID = Buffer.from(ACCEPTED_ANSWERS.invalid);

function send(res: ServerResponse, statusCode: number, body: Buffer, extraHeaders?: Record<string, string>): void {
  if (res.headersSent) return;
  res.writeHead(statusCode, { ...RESPONSE_HEADERS, ...extraHeaders, 'content-length': String(body.length) });
  res.end(body);
}

function sendError(
  res: ServerResponse,
  statusCode: number,
  reason: string,
  extraHeaders?: Record<string, string>,
): void {
  send(res, statusCode, Buffer.from(JSON.stringify({ error: reason })), extraHeaders);
}

/**
 * Lingering close: reads and discards what is left of a refused request's body, up to a bound in bytes and time,
 * then closes. A sender still writing would otherwise see a connection reset instead of the answer, and retry.
 */
function discardRest(req: IncomingMessage): void {
  req.removeAllListeners('data');
  if (req.complete || req.destroyed) return;
  let discarded = 0;
  const close = () => {
    clearTimeout(timer);
    req.socket?.destroy();
  };
  const timer = setTimeout(close, LINGER_MAX_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_MAX_BYTES) close();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * Handles one HTTP request for a webhook route: method, content type and size are checked before a byte
 * is kept; the body is read raw, never past `maxBytes`, within the body deadline and the process-wide cap on
 * unfinished bodies; then `answer` decides. Every refusal drains the rest of the body within bounds.
 */
export function handleWebhookRequest(endpoint: WebhookEndpoint, req: IncomingMessage, res: ServerResponse): void {
  const receivedAt = new Date();
  const refuse = (statusCode: number, reason: string, extraHeaders?: Record<string, string>, rawBody?: Buffer) => {
    sendError(res, statusCode, reason, extraHeaders);
    endpoint.onRefusal({
      statusCode,
      reason,
      receivedAt,
      rawBody,
      headers: redactHeaders(req.headers, endpoint.redaction),
    });
  };
  const refuseUnread = (statusCode: number, reason: string, extraHeaders?: Record<string, string>) => {
    refuse(statusCode, reason, extraHeaders);
    discardRest(req);
  };

  if (req.method !== 'POST') return refuseUnread(405, 'method not allowed, use POST', { allow: 'POST' });
  if (!endpoint.processor()) return refuseUnread(503, 'webhook receiver is not configured');
  if (!isJsonContentType(req.headers['content-type']))
    return refuseUnread(415, 'content type must be application/json');
  if (req.readableEnded) return refuse(500, 'request body was consumed before the webhook node could read it');

  const { maxBytes } = endpoint;
  const declaredLength = Number(req.headers['content-length']);
  if (declaredLength > maxBytes) return refuseUnread(413, `body is larger than ${maxBytes} bytes`);

  const chunks: Buffer[] = [];
  let received = 0;
  let finished = false;
  // Bytes this request counts in pendingBytes; given back exactly once, however the request ends.
  const release = () => {
    pendingBytes -= received;
    received = 0;
    chunks.length = 0;
  };
  const stop = () => {
    finished = true;
    clearTimeout(deadline);
    release();
  };
  const deadline = setTimeout(() => {
    if (finished) return;
    stop();
    // The sender stalled: answer, then close, since the rest of its body may never come.
    res.once('finish', () => req.socket?.destroy());
    refuse(408, 'the body did not arrive in time', { connection: 'close' });
    req.removeAllListeners('data');
  }, endpoint.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
  deadline.unref();

  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    if (received + chunk.length > maxBytes) {
      stop();
      return refuseUnread(413, `body is larger than ${maxBytes} bytes`);
    }
    if (pendingBytes + chunk.length > MAX_PENDING_BYTES) {
      stop();
      return refuseUnread(503, 'too many deliveries are arriving at once; retry later', { 'retry-after': '5' });
    }
    received += chunk.length;
    pendingBytes += chunk.length;
    chunks.push(chunk);
  });
  req.on('error', () => {
    /* the sender went away; 'close' gives the memory back */
  });
  req.on('close', () => {
    if (!finished) stop();
  });
  req.on('end', () => {
    if (finished) return;
    const rawBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
    stop();
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
    endpoint
      .persist(decided, delivery.rawBody, receivedAt)
      .then(
        (result) => {
          if ('unavailable' in result) {
            return refuse(
              503,
              'the webhook inbox cannot store deliveries right now; retry later',
              { 'retry-after': String(result.retryAfterSeconds ?? UNAVAILABLE_RETRY_AFTER_SECONDS) },
              delivery.rawBody,
            );
          }
          if (!result.stored)
            return respond(
              endpoint,
              { kind: 'duplicate', key: decided.key, meta: decided.meta },
              { rawBody: delivery.rawBody },
              res,
            );
          respond(endpoint, decided, { rawBody: delivery.rawBody, deliveryId: result.deliveryId }, res);
        },
        () => refuse(500, 'internal error while storing the delivery', undefined, delivery.rawBody),
      )
      .catch(() => {
        // The node's own handling threw after the store answered: never an unhandled rejection that stops Node-RED.
        if (!res.headersSent) sendError(res, 500, 'internal error while storing the delivery');
      });
    return;
  }
  respond(endpoint, outcome, { rawBody: delivery.rawBody }, res);
}

function respond(
  endpoint: WebhookEndpoint,
  outcome: DeliveryOutcome,
  context: OutcomeContext,
  res: ServerResponse,
): void {
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
