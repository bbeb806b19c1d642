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
  /** Every encoded form of those secrets (secretForms), computed once. */
  forms?: readonly string[];
}

export function headerRedaction(names: Iterable<string>, secrets: Iterable<string | undefined> = []): HeaderRedaction {
  const all = new Set(CREDENTIAL_HEADERS);
  for (const name of names) if (name) all.add(name.toLowerCase());
  const kept: string[] = [];
  for (const secret of secrets) {
    const trimmed = typeof secret === 'string' ? secret.trim() : '';
    if (trimmed.length >= MIN_SECRET_LENGTH) kept.push(trimmed);
  }
  return { names: all, secrets: kept, forms: [...new Set(kept.flatMap(secretForms))] };
}

/**
 * Every form a secret may come back in from a server that echoes what it was sent: as sent, URL- or form-encoded,
 * JSON-escaped (with `\/` too), and base64 or base64url at each of the three byte alignments, so it is found inside a
 * longer encoded text too (HTTP Basic's base64 of "id:secret"). A form shorter than MIN_SECRET_LENGTH is left out.
 */
export function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ t: secret }).toString().slice(2),
    json,
    json.replace(/\//g, '\\/'),
  ];
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    // Base64 of the secret preceded by `offset` bytes: keep only the characters that depend on the secret alone.
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const start = offset === 0 ? 0 : 4;
    const end = Math.floor((offset + bytes.length) / 3) * 4;
    const stable = encoded.slice(start, end);
    if (stable.length >= 2 * MIN_SECRET_LENGTH) forms.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  // The whole secret's own base64, padding and all, as a header or a JSON field would carry it.
  forms.push(bytes.toString('base64'), bytes.toString('base64url'));
  return [...new Set(forms)].filter((form) => form.length >= MIN_SECRET_LENGTH);
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
    const hidden =
      isCredentialHeader(name, redaction) ||
      (redaction.forms ?? redaction.secrets.flatMap(secretForms)).some((form) => value.includes(form));
    shown[name.toLowerCase()] = hidden ? REDACTED : value;
  }
  return shown;
}
