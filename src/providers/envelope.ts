import type { ZodError } from 'zod';
import { epochToIso } from '../shared/epoch';
import type { ProviderProfile } from './types';

export interface Envelope {
  eventType?: string;
  eventId?: string;
  occurredAt?: string;
}

type Headers = Record<string, string | string[] | undefined>;

/** Envelope paths split once: the few paths of the provider profiles, read on every delivery. */
const pathKeys = new Map<string, string[]>();

function at(body: unknown, path: string | undefined): unknown {
  if (!path) return undefined;
  let keys = pathKeys.get(path);
  if (!keys) pathKeys.set(path, (keys = path.split('.')));
  let value: unknown = body;
  for (const key of keys) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function header(headers: Headers, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== ''
    ? value
    : typeof value === 'number' && Number.isFinite(value)
      ? String(value)
      : undefined;

/** A time as sent when it is text; epoch seconds or milliseconds become ISO 8601. */
function time(value: unknown): string | undefined {
  if (typeof value === 'string') return value || undefined;
  return typeof value === 'number' ? epochToIso(value) : undefined;
}

/** The event id inside the body alone (what a signature covers), without the headers' stand-in. */
export function bodyEventId(profile: ProviderProfile, body: Record<string, unknown>): string | undefined {
  return text(at(body, profile.envelope.idPath));
}

/** Where the provider keeps the event type, id and time of a parsed delivery. */
export function readEnvelope(profile: ProviderProfile, body: Record<string, unknown>, headers: Headers): Envelope {
  const location = profile.envelope;
  return {
    eventType: text(at(body, location.typePath)) ?? header(headers, location.typeHeader),
    eventId: bodyEventId(profile, body) ?? header(headers, location.idHeader),
    occurredAt: time(at(body, location.occurredAtPath)),
  };
}

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

const MAX_ISSUES = 20;

/** Zod's issues in plain words: `payload.people_detail.email: expected string`. */
export function describeIssues(error: ZodError): string[] {
  const lines = error.issues.map((issue) => {
    const where = pathText(issue.path);
    switch (issue.code) {
      case 'invalid_type': {
        // Zod keeps the input out of issues; its message still says what it received.
        const received = /received (\w+)/.exec(issue.message)?.[1];
        if (received === 'undefined') return `${where}: expected ${issue.expected}, but it is missing`;
        return received
          ? `${where}: expected ${issue.expected}, got ${received}`
          : `${where}: expected ${issue.expected}`;
      }
      case 'invalid_value':
        return issue.values.length === 1
          ? `${where}: expected ${JSON.stringify(issue.values[0])}`
          : `${where}: expected one of ${issue.values.join(', ')}`;
      case 'invalid_union': {
        // Say it the way a person would: "expected number or string, got boolean" when each branch is a plain type.
        const branches = issue.errors.map((branch) =>
          branch.length === 1 && branch[0].code === 'invalid_type' && branch[0].path.length === 0
            ? branch[0]
            : undefined,
        );
        if (branches.every(Boolean)) {
          const expected = branches.map((b) => (b as { expected: string }).expected).join(' or ');
          const received = /received (\w+)/.exec(branches[0]!.message)?.[1];
          if (received === 'undefined') return `${where}: expected ${expected}, but it is missing`;
          return received ? `${where}: expected ${expected}, got ${received}` : `${where}: expected ${expected}`;
        }
        return `${where}: not any of the accepted shapes`;
      }
      default:
        return `${where}: ${issue.message}`;
    }
  });
  return lines.length > MAX_ISSUES ? [...lines.slice(0, MAX_ISSUES), `… and ${lines.length - MAX_ISSUES} more`] : lines;
}

/** Checks a parsed delivery against its documented event, or the provider's envelope when the type is not documented. */
export function validateEvent(
  profile: ProviderProfile,
  eventType: string | undefined,
  body: unknown,
): { known: boolean; issues: string[] } {
  const definition =
    eventType !== undefined && Object.hasOwn(profile.events, eventType) ? profile.events[eventType] : undefined;
  const result = (definition?.schema ?? profile.envelopeSchema).safeParse(body);
  return { known: definition !== undefined, issues: result.success ? [] : describeIssues(result.error) };
}
