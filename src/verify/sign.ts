import { randomUUID } from 'node:crypto';
import { signedContent, signHmac } from './hmac';
import { decodeStandardSecret, signStandard } from './standardWebhooks';
import { signStripe } from './stripe';
import type { VerificationScheme } from './types';

/**
 * The headers a real sender of this scheme would send with `rawBody`. Used by the test-event sender (CLI and
 * editor button); the test suite signs with the official libraries instead.
 */
export function signDelivery(
  scheme: VerificationScheme,
  secret: string,
  rawBody: Buffer,
  opts: { id?: string; timestamp?: number } = {},
): Record<string, string> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const id = opts.id ?? `msg_${randomUUID().replace(/-/g, '')}`;
  switch (scheme.kind) {
    case 'standard-webhooks':
      return {
        'svix-id': id,
        'svix-timestamp': String(timestamp),
        'svix-signature': `v1,${signStandard(decodeStandardSecret(secret), id, timestamp, rawBody)}`,
      };
    case 'stripe':
      return { 'stripe-signature': `t=${timestamp},v1=${signStripe(secret, timestamp, rawBody)}` };
    case 'hmac': {
      const headers: Record<string, string> = {};
      if (scheme.timestampHeader) headers[scheme.timestampHeader] = String(timestamp);
      if (scheme.idHeader) headers[scheme.idHeader] = id;
      const content = signedContent(scheme.template, { body: rawBody, timestamp: String(timestamp), id });
      headers[scheme.header] = `${scheme.prefix}${signHmac(scheme, secret, content)}`;
      return headers;
    }
    case 'header-token':
      return { [scheme.headerName]: secret };
    default:
      return {};
  }
}
