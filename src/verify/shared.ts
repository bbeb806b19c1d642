import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError, type SignedDelivery } from './types';

/** One header's value; a repeated header counts as missing rather than guessing which copy is meant. */
export function headerValue(delivery: SignedDelivery, name: string): string | undefined {
  const value = delivery.headers[name.toLowerCase()];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value === undefined || value === '' ? undefined : value;
}

export function requireHeader(delivery: SignedDelivery, name: string): string {
  const value = headerValue(delivery, name);
  if (value === undefined) throw new WebhookVerificationError('missing_header', `missing ${name} header`);
  return value;
}

/** Constant-time comparison that never throws on a length mismatch. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function hmac(algorithm: string, key: Buffer | string, parts: Array<Buffer | string>): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Parses a Unix timestamp in seconds. With `allowMilliseconds` (generic HMAC senders), a value too large to be
 * seconds is read as milliseconds; Svix, Standard Webhooks and Stripe send seconds only, and their libraries
 * reject anything else, so those schemes do too.
 */
export function parseTimestamp(raw: string, header: string, allowMilliseconds = false): number {
  if (!/^\d{1,16}$/.test(raw.trim()))
    throw new WebhookVerificationError('malformed_header', `${header} is not a Unix timestamp`);
  const value = Number(raw.trim());
  // Seconds stay below 1e11 until the year 5138; anything larger is milliseconds.
  if (value < 1e11) return value;
  if (!allowMilliseconds)
    throw new WebhookVerificationError('malformed_header', `${header} is not a Unix timestamp in seconds`);
  return Math.floor(value / 1000);
}

export function checkTolerance(timestampSeconds: number, toleranceSeconds: number, nowMs: number): void {
  const nowSeconds = Math.floor(nowMs / 1000);
  if (timestampSeconds < nowSeconds - toleranceSeconds)
    throw new WebhookVerificationError('timestamp_too_old', 'timestamp is too old');
  if (timestampSeconds > nowSeconds + toleranceSeconds)
    throw new WebhookVerificationError('timestamp_in_future', 'timestamp is too far in the future');
}

export const noMatch = () => new WebhookVerificationError('no_matching_signature', 'no matching signature');
