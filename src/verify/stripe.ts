import { WebhookVerificationError, type SignedDelivery, type VerifiedDelivery } from './types';
import { checkTolerance, hmac, parseTimestamp, requireHeader, safeEqual, noMatch } from './shared';

export function signStripe(secret: string, timestamp: number, rawBody: Buffer): string {
  return hmac('sha256', secret, [`${timestamp}.`, rawBody]).toString('hex');
}

/** Stripe-Signature: t=…,v1=…; keyed by the whole whsec_ string, as Stripe's own library does. */
export function verifyStripe(
  delivery: SignedDelivery,
  secrets: string[],
  toleranceSeconds: number,
  nowMs: number,
): VerifiedDelivery {
  const header = requireHeader(delivery, 'stripe-signature');
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const [key, value] = item.split('=', 2).map((s) => s?.trim());
    if (key === 't') timestamp = value;
    else if (key === 'v1' && value && /^[0-9a-fA-F]+$/.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookVerificationError('malformed_header', 'stripe-signature needs t= and v1= parts');
  }
  const seconds = parseTimestamp(timestamp, 'stripe-signature t');
  checkTolerance(seconds, toleranceSeconds, nowMs);
  for (const secret of secrets) {
    const expected = hmac('sha256', secret, [`${timestamp}.`, delivery.rawBody]);
    if (signatures.some((candidate) => safeEqual(candidate, expected))) return { timestamp: seconds };
  }
  throw noMatch();
}
