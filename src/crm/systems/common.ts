import type { Lead } from '../../leadmap/lead';
import { CrmError } from '../errors';
import type { CrmResponse } from '../http';
import type { CrmField, RateLimitInfo } from './types';

export const isSuccess = (r: { status: number }) => r.status >= 200 && r.status < 300;

/** An id from `{ id }` or `{ data: { id } }`, as a string. */
export function idOf(body: unknown): string | undefined {
  const o = body as Record<string, unknown> | undefined;
  const id = o?.id ?? (o?.data as Record<string, unknown> | undefined)?.id;
  return id === undefined || id === null ? undefined : String(id);
}

/** A lead that cannot be sent as it is: the node's output 2 says what to map. Nothing was sent, so no attempts. */
export function unsendable(message: string): CrmError {
  return new CrmError(message, undefined, undefined, 0);
}

/** The last name a CRM requires on a lead, from what the lead has. */
export const lastNameOf = (lead: Lead) =>
  lead.lastName || lead.fullName || (lead.email ? lead.email.split('@')[0] : '[not provided]');

const header = (headers: CrmResponse['headers'], name: string): number | undefined => {
  const raw = headers[name];
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
};

/** The de facto `X-RateLimit-*` headers (Pipedrive, Zoho): limit and remaining in the window, reset in seconds. */
export function readXRateLimit(headers: CrmResponse['headers'], dailyHeader?: string): RateLimitInfo {
  const reset = header(headers, 'x-ratelimit-reset');
  return {
    limit: header(headers, 'x-ratelimit-limit'),
    remaining: header(headers, 'x-ratelimit-remaining'),
    resetMs: reset === undefined ? undefined : reset * 1000,
    dailyRemaining: dailyHeader ? header(headers, dailyHeader) : undefined,
  };
}

export { header as numericHeader };

/** What a lead value must be to fill a field of this CRM type, from the CRM's own type names per kind. */
export function acceptsOf(
  type: string,
  kinds: Partial<Record<Exclude<CrmField['accepts'], 'string' | 'any'>, readonly string[]>>,
): CrmField['accepts'] {
  for (const [kind, types] of Object.entries(kinds)) if (types.includes(type)) return kind as CrmField['accepts'];
  return 'string';
}
