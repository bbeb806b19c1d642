import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretForms } from '../redact';
import type { CrmCallRecord } from './calls';

/** A lead the CRM did not take. Its message never contains a token: every text from outside is scrubbed first. */
export class CrmError extends Error {
  /** The lead's requests and their answers (scrubbed, bounded), when it went through the account's delivery. */
  calls?: CrmCallRecord[];

  constructor(
    message: string,
    readonly status: number | undefined,
    readonly crmMessage: string | undefined,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'CrmError';
  }
}

/** The account's token server refused its credentials (revoked app, wrong secret): nothing is sent until they change. */
export class CrmAuthRefusedError extends CrmError {
  constructor(readonly reason: string) {
    super(
      `the CRM refused this account's credentials (${reason}): fix them in the CRM account and deploy`,
      undefined,
      reason,
      0,
    );
    this.name = 'CrmAuthRefusedError';
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes secrets from text from outside (a CRM's answer). Case-insensitive, because some CRMs echo a token
 * upper-cased. Scrub the whole text before cutting it: a cut through a token would leave its first characters.
 */
export function scrub(text: string, secrets: Iterable<string | undefined>): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of secretForms(secret)) forms.add(form);
    // A PEM key may come back line by line; its base64 lines are secrets of their own.
    if (secret.includes('-----BEGIN'))
      for (const line of secret.split(/\r?\n/))
        if (line.length >= 16 && !line.startsWith('-----')) forms.add(line.trim());
  }
  if (forms.size === 0) return text;
  // Longest first, so a form that contains another is removed whole.
  const pattern = new RegExp(
    [...forms]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'gi',
  );
  return text.replace(pattern, '[redacted]');
}

/** Cuts a scrubbed text to a length a status line and a log can carry. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * The CRM's own reason from an error body, whole (scrub it, then cut it): HubSpot's message, Salesforce's
 * [{message}], Pipedrive's error, Zoho's {data:[{message}]} or {code, message}, an OAuth server's error_description.
 */
export function crmReason(body: unknown, text: string): string | undefined {
  let first = Array.isArray(body) ? body[0] : body;
  const data = first && typeof first === 'object' ? (first as Record<string, unknown>).data : undefined;
  if (
    Array.isArray(data) &&
    data[0] &&
    typeof data[0] === 'object' &&
    (data[0] as Record<string, unknown>).status === 'error'
  )
    first = data[0];
  if (first && typeof first === 'object') {
    const o = first as Record<string, unknown>;
    const error = typeof o.error === 'string' ? o.error : undefined;
    if (error && typeof o.error_description === 'string' && o.error_description)
      return `${error}: ${o.error_description}`;
    const reason = [o.message, o.error, o.error_info, o.errorCode, o.code].find((v) => typeof v === 'string' && v);
    if (typeof reason === 'string') {
      const code =
        typeof o.code === 'string' && o.code !== reason
          ? o.code
          : typeof o.errorCode === 'string' && o.errorCode !== reason
            ? o.errorCode
            : undefined;
      return code ? `${code}: ${reason}` : reason;
    }
  }
  const trimmed = text.trim();
  return trimmed || undefined;
}

/** The CRM's reason, scrubbed of every secret and then cut. */
export function safeReason(
  body: unknown,
  text: string,
  secrets: Iterable<string | undefined>,
  max = 500,
): string | undefined {
  const reason = crmReason(body, text);
  return reason === undefined ? undefined : cut(scrub(reason, secrets), max) || undefined;
}

/**
 * Turns a message key of `sales-crm-account.answer` and its parameters into text. The account node passes Node-RED's
 * RED._ (so i18next picks the plural form from `count`); without one, the en-US catalog is read the same way.
 */
export type Say = (key: string, params?: Record<string, unknown>) => string;

let englishCatalog: Record<string, string> | undefined;
/** The en-US texts of `sales-crm-account.answer`, with the `key`/`key_plural` choice Node-RED 3.1 to 5 all read, and `__name__` parameters. */
export const sayInEnglish: Say = (key, params = {}) => {
  englishCatalog ??= JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'nodes', 'locales', 'en-US', 'sales-crm-account.json'), 'utf8'),
  )['sales-crm-account'].answer as Record<string, string>;
  const plural = typeof params.count === 'number' && params.count !== 1 ? `${key}_plural` : undefined;
  const text = (plural && englishCatalog[plural]) ?? englishCatalog[key] ?? key;
  return text.replace(/__(\w+?)__/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
};

/** A URL as an error may name it: origin and path, never the query (Pipedrive's api_token travels there). */
export function shownUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    return `${u.origin}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return String(url).split('?')[0];
  }
}

/** Network error codes said in words, for a person who does not read errno. */
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'net-refused',
  ENOTFOUND: 'net-not-found',
  EAI_AGAIN: 'net-dns',
  ECONNRESET: 'net-reset',
  EPIPE: 'net-reset',
  UND_ERR_SOCKET: 'net-closed',
  EHOSTUNREACH: 'net-unreachable',
  ENETUNREACH: 'net-unreachable',
  ETIMEDOUT: 'net-connect-timeout',
  UND_ERR_CONNECT_TIMEOUT: 'net-connect-timeout',
};

/** What happened to a request that got no answer, in words: "connection refused", "no answer within 10000 ms". */
export function whatHappened(err: unknown, timeoutMs: number, say: Say): string {
  const e = (err ?? {}) as { code?: string; name?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (e.name === 'TimeoutError' || /HEADERS_TIMEOUT|BODY_TIMEOUT/.test(code))
    return say('net-timeout', { ms: timeoutMs });
  if (NETWORK_WORDS[code]) return say(NETWORK_WORDS[code]);
  if (/CERT|SSL|TLS/.test(code)) return say('net-tls', { code });
  return say('net-other', { code: code || e.name || 'Error' });
}
