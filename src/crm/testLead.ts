import type { Lead } from '../leadmap/lead';
import { REDACTED } from '../redact';
import { scrub } from './errors';
import type { CrmRequest } from './http';

export { REDACTED };

/**
 * The lead "Send test lead" sends: every standard field filled, recognisable as a test in the CRM, with an address at
 * example.com (reserved, so no mail reaches a person). Fixed, so the request sent is the one the preview showed.
 */
export function sampleLead(): Lead {
  return {
    email: 'test.lead@example.com',
    phone: '+14155550123',
    fullName: 'Test Lead',
    firstName: 'Test',
    lastName: 'Lead',
    company: 'Example Corp (test lead)',
    jobTitle: 'Head of Testing',
    address: '1 Example Street',
    city: 'San Francisco',
    state: 'CA',
    postalCode: '94105',
    country: 'US',
    score: 42,
    tags: ['test', 'sales-webhooks'],
    source: {
      provider: 'node-red-contrib-sales-webhooks',
      eventType: 'test.lead',
      eventId: 'test-lead',
      receivedAt: '2026-01-01T00:00:00.000Z',
    },
    custom: {},
  };
}

/** A request as the dialog shows it: the full URL, the headers and the JSON body, with no secret in any of them. */
export interface ShownRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * The request as it leaves: under the API's base URL, with the headers the client adds and the token where the CRM
 * takes it (`auth`, built with REDACTED for the token). Anything else that matches a secret is replaced too.
 */
export function showRequest(
  request: CrmRequest,
  baseUrl: string,
  auth: { headers: Record<string, string>; query: Record<string, string> },
  secrets: Iterable<string | undefined>,
): ShownRequest {
  const url = /^https?:\/\//.test(request.path) ? new URL(request.path) : new URL(baseUrl + request.path);
  for (const [k, v] of Object.entries({ ...request.query, ...auth.query })) url.searchParams.set(k, v);
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...auth.headers,
  };
  const known = [...secrets];
  const shown = { method: request.method, url: decodeURI(url.toString()), headers, body: request.body };
  return withoutSecrets(shown, known);
}

/** A JSON value with every secret replaced (a CRM may echo one in its answer). */
export function withoutSecrets<T>(value: T, secrets: Iterable<string | undefined>): T {
  if (value === undefined) return value;
  const text = JSON.stringify(value);
  const clean = scrub(text, secrets);
  if (clean === text) return value;
  try {
    return JSON.parse(clean) as T;
  } catch {
    // A secret that held a quote or a backslash took JSON syntax with it: the text, scrubbed, is still readable.
    return clean as unknown as T;
  }
}
