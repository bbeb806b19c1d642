import { z } from 'zod';
import type { MappingType } from './types';
import { epochToIso } from '../shared/epoch';
import { phoneLibrary } from '../shared/libraries';

/** A value coerced to a mapping type, or the reason it could not be. */
export type Coerced = { ok: true; value: unknown } | { ok: false; reason: string };

const emailSchema = z.email();
/** Characters of a wrong value quoted in its reason: the reason is stored, sent on and logged with the delivery. */
const QUOTED_CHARACTERS = 80;
const describe = (value: unknown) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'an object'
        : typeof value === 'string' && value.length > QUOTED_CHARACTERS
          ? `${JSON.stringify(value.slice(0, QUOTED_CHARACTERS))}… (${value.length} characters)`
          : JSON.stringify(value);
const fail = (reason: string): Coerced => ({ ok: false, reason });
const ok = (value: unknown): Coerced => ({ ok: true, value });

function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** Epoch seconds or milliseconds, or any text Date understands, as ISO 8601. */
function toIsoDate(value: unknown): string | undefined {
  if (typeof value === 'number') return epochToIso(value);
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return epochToIso(text);
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function coerce(value: unknown, type: MappingType): Coerced {
  switch (type) {
    case 'string': {
      const text = toText(value);
      return text === undefined ? fail(`expected text, got ${describe(value)}`) : ok(text);
    }
    case 'number': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && value.trim() !== ''
            ? Number(value.trim())
            : NaN;
      return Number.isFinite(n) ? ok(n) : fail(`expected a number, got ${describe(value)}`);
    }
    case 'boolean': {
      if (typeof value === 'boolean') return ok(value);
      const text = toText(value)?.toLowerCase();
      if (text && ['true', 'yes', '1', 'y', 'on'].includes(text)) return ok(true);
      if (text && ['false', 'no', '0', 'n', 'off'].includes(text)) return ok(false);
      return fail(`expected true or false, got ${describe(value)}`);
    }
    case 'email': {
      const text = toText(value)?.toLowerCase();
      return text && emailSchema.safeParse(text).success
        ? ok(text)
        : fail(`not a valid email address: ${describe(value)}`);
    }
    case 'phone': {
      const text = toText(value);
      if (!text) return fail(`expected a phone number, got ${describe(value)}`);
      // Only numbers with a country code can be made E.164; others pass as sent rather than being guessed at.
      const parsed = phoneLibrary().parsePhoneNumberFromString(text);
      return ok(parsed?.isValid() ? parsed.number : text);
    }
    case 'date': {
      const iso = toIsoDate(value);
      return iso ? ok(iso) : fail(`expected a date, got ${describe(value)}`);
    }
    case 'array':
      return ok(Array.isArray(value) ? value : [value]);
    case 'json':
      return ok(value);
    default:
      return fail(`unknown type ${String(type)}`);
  }
}
