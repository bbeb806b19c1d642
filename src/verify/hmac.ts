import {
  WebhookConfigError,
  WebhookVerificationError,
  type SignedDelivery,
  type VerificationScheme,
  type VerifiedDelivery,
} from './types';
import { checkTolerance, headerValue, hmac, parseTimestamp, requireHeader, safeEqual, noMatch } from './shared';

export type HmacScheme = Extract<VerificationScheme, { kind: 'hmac' }>;

export const HMAC_ALGORITHMS = ['sha256', 'sha512', 'sha1'] as const;
export const HMAC_ENCODINGS = ['hex', 'base64'] as const;
const ALGORITHMS = new Set<string>(HMAC_ALGORITHMS);
const ENCODINGS = new Set<string>(HMAC_ENCODINGS);
/** What every signed-content template must contain. */
export const HMAC_TEMPLATE_BODY = '{body}';
const PLACEHOLDER = /\{(body|timestamp|id)\}/g;

/** Throws WebhookConfigError for a scheme that could never verify anything. */
export function checkHmacScheme(scheme: HmacScheme): void {
  if (!scheme.header || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(scheme.header)) {
    throw new WebhookConfigError('signatureHeader', 'the signature header name is empty or not a valid header name');
  }
  if (!ALGORITHMS.has(scheme.algorithm))
    throw new WebhookConfigError('algorithm', 'the algorithm must be sha256, sha512 or sha1');
  if (!ENCODINGS.has(scheme.encoding)) throw new WebhookConfigError('encoding', 'the encoding must be hex or base64');
  if (!scheme.template.includes(HMAC_TEMPLATE_BODY))
    throw new WebhookConfigError('template', 'the signed-content template must contain {body}');
  const unknown = /\{(?!(?:body|timestamp|id)\})[^{}]*\}/.exec(scheme.template);
  if (unknown)
    throw new WebhookConfigError('template', `the template may use {body}, {timestamp} and {id}, not ${unknown[0]}`);
  if (scheme.template.includes('{timestamp}') && !scheme.timestampHeader) {
    throw new WebhookConfigError('timestampHeader', 'the template uses {timestamp}: name the timestamp header');
  }
  // A tolerance checked on a header the signature does not cover protects nothing: a replay just sets it to now.
  if (scheme.timestampHeader && !scheme.template.includes('{timestamp}')) {
    throw new WebhookConfigError(
      'timestampHeader',
      'a timestamp header is set but the template does not sign {timestamp}: add {timestamp} to the template or clear the timestamp header',
    );
  }
  if (scheme.template.includes('{id}') && !scheme.idHeader) {
    throw new WebhookConfigError('idHeader', 'the template uses {id}: name the id header');
  }
}

/** The signed content: the template with the raw body spliced in as bytes, never re-encoded. */
export function signedContent(template: string, values: { body: Buffer; timestamp?: string; id?: string }): Buffer[] {
  const parts: Buffer[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    parts.push(Buffer.from(template.slice(last, match.index), 'utf8'));
    const name = match[1] as 'body' | 'timestamp' | 'id';
    parts.push(name === 'body' ? values.body : Buffer.from(values[name] ?? '', 'utf8'));
    last = match.index! + match[0].length;
  }
  parts.push(Buffer.from(template.slice(last), 'utf8'));
  return parts;
}

export function signHmac(scheme: HmacScheme, secret: string, content: Buffer[]): string {
  return hmac(scheme.algorithm, secret, content).toString(scheme.encoding);
}

function decodeSignature(raw: string, scheme: HmacScheme): Buffer {
  let value = raw.trim();
  if (scheme.prefix && value.toLowerCase().startsWith(scheme.prefix.toLowerCase()))
    value = value.slice(scheme.prefix.length);
  else if (scheme.prefix && scheme.requirePrefix)
    throw new WebhookVerificationError('malformed_header', `${scheme.header} must start with ${scheme.prefix}`);
  const valid =
    scheme.encoding === 'hex'
      ? /^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0
      : /^[A-Za-z0-9+/_-]+={0,2}$/.test(value);
  if (!valid)
    throw new WebhookVerificationError('malformed_header', `${scheme.header} is not a ${scheme.encoding} signature`);
  return Buffer.from(value, scheme.encoding === 'hex' ? 'hex' : 'base64');
}

/** The body as JSON.stringify would write it, or undefined when it is not JSON. */
function reserialized(rawBody: Buffer): Buffer | undefined {
  try {
    return Buffer.from(JSON.stringify(JSON.parse(rawBody.toString('utf8'))), 'utf8');
  } catch {
    return undefined;
  }
}

export function verifyHmac(
  delivery: SignedDelivery,
  scheme: HmacScheme,
  secrets: string[],
  toleranceSeconds: number,
  nowMs: number,
): VerifiedDelivery {
  const signature = decodeSignature(requireHeader(delivery, scheme.header), scheme);
  let timestamp: string | undefined;
  let seconds: number | undefined;
  if (scheme.timestampHeader) {
    timestamp = requireHeader(delivery, scheme.timestampHeader);
    seconds = parseTimestamp(timestamp, scheme.timestampHeader, true);
    checkTolerance(seconds, toleranceSeconds, nowMs);
  }
  // Only an id the signature covers may key duplicates; an unsigned header could be changed by anyone replaying.
  const signsId = scheme.template.includes('{id}');
  const id = signsId && scheme.idHeader ? headerValue(delivery, scheme.idHeader) : undefined;
  if (signsId && id === undefined) {
    throw new WebhookVerificationError('missing_header', `missing ${scheme.idHeader} header`);
  }
  const bodies = [delivery.rawBody];
  if (scheme.acceptReserialized) {
    const alternative = reserialized(delivery.rawBody);
    if (alternative && !alternative.equals(delivery.rawBody)) bodies.push(alternative);
  }
  for (const body of bodies) {
    const content = signedContent(scheme.template, { body, timestamp, id });
    for (const secret of secrets) {
      if (safeEqual(signature, hmac(scheme.algorithm, secret, content)))
        return { deliveryId: id, timestamp: seconds, signedBody: body };
    }
  }
  throw noMatch();
}
