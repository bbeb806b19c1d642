import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonContentType } from './contentType';
import { processDelivery, type DeliveryOutcome, type DeliveryProcessor } from './delivery';
import { redactHeaders, type HeaderRedaction } from '../redact';

export const DEFAULT_MAX_BYTES = 1024 * 1024;

/** A request the endpoint refused before or without verification succeeding. */
export interface Refusal {
  statusCode: number;
  reason: string;
  headers: Record<string, string>;
  receivedAt: Date;
}

export interface WebhookEndpoint {
  maxBytes: number;
  /** How headers of refused requests are shown; known even while the source's configuration is unusable. */
  redaction: HeaderRedaction;
  /** The processor in force; null while the node's configuration is unusable (every request gets 503). */
  processor(): DeliveryProcessor | null;
  /** Resolves once persisted duplicate keys are loaded, so no retry slips through at start-up. */
  ready?: Promise<void>;
  onOutcome(outcome: DeliveryOutcome): void;
  onRefusal(refusal: Refusal): void;
}

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
  const refuse = (statusCode: number, reason: string, extraHeaders?: Record<string, string>) => {
    sendError(res, statusCode, reason, extraHeaders);
    endpoint.onRefusal({ statusCode, reason, receivedAt, headers: redactHeaders(req.headers, endpoint.redaction) });
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
  refuse: (statusCode: number, reason: string) => void,
): void {
  const processor = endpoint.processor();
  if (!processor) return refuse(503, 'webhook receiver is not configured');
  let outcome: DeliveryOutcome;
  try {
    outcome = processDelivery(processor, delivery, receivedAt);
  } catch {
    return refuse(500, 'internal error while checking the delivery');
  }
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
  endpoint.onOutcome(outcome);
}
