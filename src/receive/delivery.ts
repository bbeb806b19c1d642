import { createHash } from 'node:crypto';
import { listProviders } from '../providers/registry';
import type { ProviderProfile } from '../providers/types';
import { headerRedaction, redactHeaders, type HeaderRedaction } from '../redact';
import { authenticationHeaders } from '../verify';
import { bodyEventId, readEnvelope, validateEvent } from '../providers/envelope';
import { WebhookVerificationError, type SignedDelivery, type Verifier } from '../verify/types';
import type { WebhookMeta } from './types';

export interface DeliveryProcessor {
  profile: ProviderProfile;
  verifier: Verifier;
  /** What is shown as "[redacted]" wherever this delivery's headers appear. */
  redaction: HeaderRedaction;
}

export type DeliveryOutcome =
  | { kind: 'rejected'; statusCode: 401 | 400; reason: string; headers: Record<string, string> }
  | { kind: 'invalid'; key: string; body: Record<string, unknown>; meta: WebhookMeta; issues: string[] }
  | { kind: 'accepted'; key: string; body: Record<string, unknown>; meta: WebhookMeta };

let providerAuthenticationHeaders: string[] | undefined;

/**
 * What the receive side redacts: the usual credential headers, every provider's authentication headers (a sender
 * of one platform posting to a source set up for another still hides its token), the source's own, and any header
 * carrying one of the source's secrets (a mistyped header name, a token sent while the source has none).
 */
export function receiveRedaction(sourceHeaders: string[], secrets: Array<string | undefined>): HeaderRedaction {
  providerAuthenticationHeaders ??= listProviders().flatMap((profile) => authenticationHeaders(profile.verification));
  return headerRedaction([...providerAuthenticationHeaders, ...sourceHeaders], secrets);
}

export { redactHeaders };

/**
 * Decides what one delivery is and its duplicate key (the store says whether it is a repeat). Verification runs on
 * the exact bytes before anything else, so a forged request never reaches the parser or the store.
 */
export function processDelivery(
  processor: DeliveryProcessor,
  delivery: SignedDelivery,
  receivedAt: Date,
): DeliveryOutcome {
  const { profile, verifier, redaction } = processor;
  let deliveryId: string | undefined;
  let signedBody: Buffer;
  try {
    const verified = verifier(delivery);
    deliveryId = verified.deliveryId;
    signedBody = verified.signedBody ?? delivery.rawBody;
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    return {
      kind: 'rejected',
      statusCode: 401,
      reason: err.message,
      headers: redactHeaders(delivery.headers, redaction),
    };
  }

  let body: unknown;
  try {
    body = JSON.parse(delivery.rawBody.toString('utf8'));
  } catch {
    return {
      kind: 'rejected',
      statusCode: 400,
      reason: 'body is not valid JSON',
      headers: redactHeaders(delivery.headers, redaction),
    };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      kind: 'rejected',
      statusCode: 400,
      reason: 'body is not a JSON object',
      headers: redactHeaders(delivery.headers, redaction),
    };
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
    headers: redactHeaders(delivery.headers, redaction),
  };

  // Only what the signature covers keys duplicates, or a replay with a changed unsigned header (X-GitHub-Delivery) or
  // re-formatted bytes would pass as new: an id inside the signed body, else a signed delivery id, else the signed bytes.
  const signedEventId = bodyEventId(profile, body as Record<string, unknown>) ?? deliveryId;
  const duplicateKey =
    signedEventId !== undefined
      ? `id:${signedEventId}`
      : `sha256:${createHash('sha256').update(signedBody).digest('base64')}`;

  const validation = validateEvent(profile, envelope.eventType, body);
  meta.known = validation.known;
  const event = body as Record<string, unknown>;
  if (validation.issues.length > 0)
    return { kind: 'invalid', key: duplicateKey, body: event, meta, issues: validation.issues };
  return { kind: 'accepted', key: duplicateKey, body: event, meta };
}
