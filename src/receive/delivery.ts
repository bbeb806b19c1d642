import { createHash } from 'node:crypto';
import type { ProviderProfile } from '../providers/types';
import { readEnvelope, validateEvent } from '../providers/envelope';
import { WebhookVerificationError, type SignedDelivery, type Verifier } from '../verify/types';
import type { DuplicateGuard } from './duplicateGuard';
import type { WebhookMeta } from './types';

export interface DeliveryProcessor {
  profile: ProviderProfile;
  verifier: Verifier;
  /** Lower-case names of headers whose values are shown as "[redacted]". */
  redactedHeaders: ReadonlySet<string>;
  guard?: DuplicateGuard;
}

export type DeliveryOutcome =
  | { kind: 'rejected'; statusCode: 401 | 400; reason: string; headers: Record<string, string> }
  | { kind: 'duplicate'; key: string; meta: WebhookMeta }
  | { kind: 'invalid'; key: string; body: Record<string, unknown>; meta: WebhookMeta; issues: string[] }
  | { kind: 'accepted'; key: string; body: Record<string, unknown>; meta: WebhookMeta };

const ALWAYS_REDACTED = ['authorization', 'proxy-authorization', 'cookie'];

export function redactedHeaderSet(authenticationHeaders: string[]): ReadonlySet<string> {
  return new Set([...ALWAYS_REDACTED, ...authenticationHeaders.map((h) => h.toLowerCase())]);
}

/** Headers as msg.webhook shows them: lower-case names, one string each, secrets replaced. */
export function redactHeaders(headers: SignedDelivery['headers'], redacted: ReadonlySet<string>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    shown[lower] = redacted.has(lower) ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return shown;
}

/**
 * Decides what one delivery is. Verification runs on the exact bytes before anything else,
 * so a forged request never reaches the parser or the duplicate guard.
 */
export function processDelivery(processor: DeliveryProcessor, delivery: SignedDelivery, receivedAt: Date): DeliveryOutcome {
  const { profile, verifier, redactedHeaders, guard } = processor;
  let deliveryId: string | undefined;
  try {
    deliveryId = verifier(delivery).deliveryId;
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    return { kind: 'rejected', statusCode: 401, reason: err.message, headers: redactHeaders(delivery.headers, redactedHeaders) };
  }

  let body: unknown;
  try {
    body = JSON.parse(delivery.rawBody.toString('utf8'));
  } catch {
    return { kind: 'rejected', statusCode: 400, reason: 'body is not valid JSON', headers: redactHeaders(delivery.headers, redactedHeaders) };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { kind: 'rejected', statusCode: 400, reason: 'body is not a JSON object', headers: redactHeaders(delivery.headers, redactedHeaders) };
  }

  const envelope = readEnvelope(profile, body as Record<string, unknown>, delivery.headers);
  // The platform's own event id is what users correlate; the signed delivery id (svix-id) stands in without one.
  const eventId = envelope.eventId ?? deliveryId;
  const meta: WebhookMeta = {
    provider: profile.id,
    eventType: envelope.eventType,
    eventId,
    occurredAt: envelope.occurredAt,
    receivedAt: receivedAt.toISOString(),
    verified: profile.verification.kind !== 'none',
    known: false,
    headers: redactHeaders(delivery.headers, redactedHeaders),
  };

  // Without an event id, a retry can only be recognised by its exact bytes.
  const duplicateKey = eventId !== undefined ? `id:${eventId}` : `sha256:${createHash('sha256').update(delivery.rawBody).digest('base64')}`;
  if (guard?.has(duplicateKey)) return { kind: 'duplicate', key: duplicateKey, meta };

  const validation = validateEvent(profile, envelope.eventType, body);
  meta.known = validation.known;
  guard?.remember(duplicateKey);
  const event = body as Record<string, unknown>;
  if (validation.issues.length > 0) return { kind: 'invalid', key: duplicateKey, body: event, meta, issues: validation.issues };
  return { kind: 'accepted', key: duplicateKey, body: event, meta };
}
