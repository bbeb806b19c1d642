import { WebhookConfigError, WebhookVerificationError, type SignedDelivery, type VerifiedDelivery } from './types';
import { checkTolerance, headerValue, hmac, parseTimestamp, safeEqual, noMatch } from './shared';

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes a Svix / Standard Webhooks secret (`whsec_` + base64) into its key bytes. */
export function decodeStandardSecret(secret: string, key: 'secret' | 'previousSecret' = 'secret'): Buffer {
  const trimmed = secret.trim();
  const encoded = trimmed.startsWith(SECRET_PREFIX) ? trimmed.slice(SECRET_PREFIX.length) : trimmed;
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) {
    throw new WebhookConfigError(
      key,
      `the ${key === 'secret' ? 'signing' : 'previous'} secret must be the whsec_… value the platform shows (base64 after whsec_)`,
    );
  }
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < 16)
    throw new WebhookConfigError(
      key,
      `the ${key === 'secret' ? 'signing' : 'previous'} secret is too short: copy the whole whsec_… value`,
    );
  return bytes;
}

/**
 * The header trio: svix-* as SalesMagic sends, or the webhook-* names of the Standard Webhooks spec. Each svix-*
 * header wins over its webhook-* twin, as in the svix library, so a stray webhook-* header from a proxy is ignored.
 */
function readHeaders(delivery: SignedDelivery): { id: string; timestamp: string; signature: string } {
  const read = (name: string) => headerValue(delivery, `svix-${name}`) ?? headerValue(delivery, `webhook-${name}`);
  const id = read('id');
  const timestamp = read('timestamp');
  const signature = read('signature');
  if (id === undefined && timestamp === undefined && signature === undefined) {
    throw new WebhookVerificationError('missing_header', 'missing svix-signature (or webhook-signature) header');
  }
  if (id === undefined || timestamp === undefined || signature === undefined) {
    throw new WebhookVerificationError(
      'missing_header',
      'missing svix-id, svix-timestamp or svix-signature header (or their webhook-* names)',
    );
  }
  return { id, timestamp, signature };
}

export function signStandard(key: Buffer, id: string, timestamp: number, rawBody: Buffer): string {
  return hmac('sha256', key, [`${id}.${timestamp}.`, rawBody]).toString('base64');
}

export function verifyStandardWebhook(
  delivery: SignedDelivery,
  keys: Buffer[],
  toleranceSeconds: number,
  nowMs: number,
): VerifiedDelivery {
  const { id, timestamp, signature } = readHeaders(delivery);
  const seconds = parseTimestamp(timestamp, 'webhook timestamp');
  checkTolerance(seconds, toleranceSeconds, nowMs);
  const candidates = signature
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => Buffer.from(value, 'base64'));
  if (candidates.length === 0)
    throw new WebhookVerificationError('malformed_header', 'no v1 signature in the signature header');
  for (const key of keys) {
    // Sign the timestamp as sent: a re-formatted number would not be what the sender signed.
    const expected = hmac('sha256', key, [`${id}.${timestamp}.`, delivery.rawBody]);
    if (candidates.some((candidate) => safeEqual(candidate, expected))) return { deliveryId: id, timestamp: seconds };
  }
  throw noMatch();
}
