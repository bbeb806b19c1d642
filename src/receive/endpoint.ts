import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { errorAnswer, type Answer } from './answers';
import { isJsonContentType } from './contentType';
import { redactHeaders, type HeaderRedaction } from '../redact';

export { ACCEPTED_ANSWERS, UNAVAILABLE_RETRY_AFTER_SECONDS } from './answers';

export const DEFAULT_MAX_BYTES = 1024 * 1024;
/** A body must be complete this long after its request arrived, or it gets 408 and its memory back. */
export const DEFAULT_BODY_TIMEOUT_MS = 5000;
/** All unfinished bodies of every webhook node together may hold this many bytes; beyond it, 503 with Retry-After. */
export const MAX_PENDING_BYTES = 64 * 1024 * 1024;
/** After a refusal, the rest of the body is read and discarded up to these bounds, so the sender can read the answer. */
export const LINGER_MAX_BYTES = 8 * 1024 * 1024;
export const LINGER_MAX_MS = 5000;

/** A request the endpoint refused before its body was decided (method, content type, size, time, cap). */
export interface Refusal {
  statusCode: number;
  reason: string;
  headers: Record<string, string>;
  receivedAt: Date;
}

/** A request whose body arrived whole, for the receiver to decide. */
export interface ReceivedRequest {
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  receivedAt: Date;
}

/** What the endpoint needs of the receiving side: its limits, a decision per body, and word of what it refused. */
export interface WebhookReceiver {
  readonly maxBytes: number;
  /** Milliseconds a body may take to arrive; DEFAULT_BODY_TIMEOUT_MS when absent. */
  readonly bodyTimeoutMs?: number;
  /** How headers of refused requests are shown; known even while the source's configuration is unusable. */
  readonly redaction: HeaderRedaction;
  /** False while the node's configuration is unusable: every request gets 503 unread. */
  readonly configured: boolean;
  /**
   * Decides a whole body and answers it through `reply`, exactly once: in the same turn when nothing waits (the
   * memory store), else once the store has it durably.
   */
  receive(request: ReceivedRequest, reply: (answer: Answer) => void): void;
  /** The endpoint refused a request itself (it has been answered): counted and logged like any refusal. */
  refused(refusal: Refusal): void;
  /** An answer was handed to the socket this many seconds after its request arrived. */
  answered?(seconds: number): void;
}

let pendingBytes = 0;
/** Bytes held by bodies still arriving, across every webhook node in this process. */
export function pendingBodyBytes(): number {
  return pendingBytes;
}
const JSON_HEADERS = ['content-type', 'application/json; charset=utf-8', 'cache-control', 'no-store'];

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  const headers = [...JSON_HEADERS, 'content-length', String(Buffer.byteLength(answer.body))];
  if (answer.headers) for (const name in answer.headers) headers.push(name, answer.headers[name]);
  res.writeHead(answer.statusCode, headers);
  res.end(answer.body);
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
 * unfinished bodies; then the receiver decides. Every refusal drains the rest of the body within bounds.
 */
export function handleWebhookRequest(receiver: WebhookReceiver, req: IncomingMessage, res: ServerResponse): void {
  const receivedAt = new Date();
  const arrived = performance.now();
  const reply = (answer: Answer) => {
    if (res.headersSent) return;
    send(res, answer);
    receiver.answered?.((performance.now() - arrived) / 1000);
  };
  const refuse = (statusCode: number, reason: string, extraHeaders?: Record<string, string>) => {
    reply(errorAnswer(statusCode, reason, extraHeaders));
    receiver.refused({ statusCode, reason, receivedAt, headers: redactHeaders(req.headers, receiver.redaction) });
  };
  const refuseUnread = (statusCode: number, reason: string, extraHeaders?: Record<string, string>) => {
    refuse(statusCode, reason, extraHeaders);
    discardRest(req);
  };

  if (req.method !== 'POST') return refuseUnread(405, 'method not allowed, use POST', { allow: 'POST' });
  if (!receiver.configured) return refuseUnread(503, 'webhook receiver is not configured');
  if (!isJsonContentType(req.headers['content-type']))
    return refuseUnread(415, 'content type must be application/json');
  if (req.readableEnded) return refuse(500, 'request body was consumed before the webhook node could read it');

  const { maxBytes } = receiver;
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
  }, receiver.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
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
    try {
      receiver.receive({ rawBody, headers: req.headers, receivedAt }, reply);
    } catch {
      // The receiver's own fault: the sender retries, and Node-RED never stops over it.
      send(res, errorAnswer(500, 'internal error while checking the delivery'));
    }
  });
}
