/**
 * The one list of what counts as a credential in an HTTP header. Everything that shows headers (output 2, msg.webhook,
 * debug, logs) redacts through this module, so the list cannot drift between copies.
 */

export const REDACTED = '[redacted]';

/** Headers that carry credentials whatever the platform: redacted always. Lower-case. */
export const CREDENTIAL_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'apikey',
  'x-auth-token',
  'x-access-token',
  'x-webhook-token',
  'x-webhook-secret',
  'x-csrf-token',
  'x-xsrf-token',
  'x-amz-security-token',
];

/** A name that says it carries a credential (a mistyped or custom token header still matches). */
const CREDENTIAL_NAME = /auth|token|secret|signature|passw|api[-_]?key|cookie|session|credential/i;

/** Values shorter than this are not searched for inside headers: a one-character "secret" would redact everything. */
const MIN_SECRET_LENGTH = 4;

export interface HeaderRedaction {
  /** Lower-case header names redacted in addition to CREDENTIAL_HEADERS. */
  names: ReadonlySet<string>;
  /** Configured secrets and tokens: any header whose value contains one is redacted, whatever its name. */
  secrets: readonly string[];
}

export function headerRedaction(names: Iterable<string>, secrets: Iterable<string | undefined> = []): HeaderRedaction {
  const all = new Set(CREDENTIAL_HEADERS);
  for (const name of names) if (name) all.add(name.toLowerCase());
  const kept: string[] = [];
  for (const secret of secrets) {
    const trimmed = typeof secret === 'string' ? secret.trim() : '';
    if (trimmed.length >= MIN_SECRET_LENGTH) kept.push(trimmed);
  }
  return { names: all, secrets: kept };
}

export function isCredentialHeader(name: string, redaction: HeaderRedaction): boolean {
  const lower = name.toLowerCase();
  return redaction.names.has(lower) || CREDENTIAL_NAME.test(lower);
}

/** Headers as shown to users: lower-case names, one string each, credentials replaced by "[redacted]". */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
  redaction: HeaderRedaction,
): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const name in headers) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : String(raw);
    const hidden = isCredentialHeader(name, redaction) || redaction.secrets.some((secret) => value.includes(secret));
    shown[name.toLowerCase()] = hidden ? REDACTED : value;
  }
  return shown;
}
