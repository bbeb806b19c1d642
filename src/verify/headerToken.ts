import { createHash } from 'node:crypto';
import { WebhookVerificationError, type SignedDelivery, type VerifiedDelivery } from './types';
import { headerValue, safeEqual } from './shared';

// Hashing both sides first makes the comparison constant-time whatever the lengths.
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function verifyHeaderToken(delivery: SignedDelivery, headerName: string, tokens: string[]): VerifiedDelivery {
  const value = headerValue(delivery, headerName);
  if (value === undefined) throw new WebhookVerificationError('missing_header', `missing ${headerName} header`);
  const received = digest(value.trim());
  if (tokens.some((token) => safeEqual(received, digest(token)))) return {};
  throw new WebhookVerificationError('no_matching_signature', `wrong ${headerName} value`);
}
