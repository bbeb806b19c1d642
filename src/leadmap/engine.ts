import { JSONPath } from 'jsonpath-plus';
import { coerce } from './coerce';
import { LinearSafeScript } from './linearRegex';
import { leadSchema, STANDARD_LEAD_FIELDS, type Lead, type LeadSource } from './lead';
import { DEFAULT_MAPPING_TYPE, MAPPING_TYPES, type MappingRow, type MappingType } from './types';

/** A mapping that cannot work; `row` is 1-based as the dialog shows it. */
export class MappingConfigError extends Error {
  constructor(
    readonly row: number | undefined,
    readonly field: string | undefined,
    message: string,
  ) {
    super(row === undefined ? message : `row ${row}${field ? ` (${field})` : ''}: ${message}`);
    this.name = 'MappingConfigError';
  }
}

export interface CompiledRow extends MappingRow {
  /** 1-based, as shown in the dialog. */
  row: number;
  /** For a plain path (only names and indexes): its steps, walked directly instead of through jsonpath-plus. */
  steps?: string[];
  recordSteps?: string[];
  /** Normalised JSONPath, rooted at the event. */
  jsonPath: string;
  /** Relative to each record in split mode; undefined for rows read from the whole event. */
  recordPath?: string;
}

export interface CompiledMapping {
  rows: CompiledRow[];
  /** Normalised JSONPath of the records to emit one lead each, when splitting. */
  splitPath?: string;
}

export interface FieldFailure {
  row: number;
  field: string;
  path: string;
  reason: string;
  /** How many records of a split failed this same way, when more than one. */
  records?: number;
}

export interface MapResult {
  leads: Lead[];
  /** The failing fields of the records that could not become a lead: each way of failing once, with its count. */
  failures: FieldFailure[];
}

/**
 * Different failures listed at the most; the rest are counted in one last entry. A sender's split of 300,000 empty
 * records made 300,000 failures, a 20 MB reason stored with the delivery and sent on output 2.
 */
export const MAX_LISTED_FAILURES = 20;

/** Adds a failure: counted on an entry that failed the same way, listed while fewer than the limit, else counted. */
function noteFailure(failures: FieldFailure[], failure: FieldFailure): void {
  const listed = Math.min(failures.length, MAX_LISTED_FAILURES);
  for (let i = 0; i < listed; i++) {
    const same = failures[i];
    if (
      same.row === failure.row &&
      same.field === failure.field &&
      same.path === failure.path &&
      same.reason === failure.reason
    ) {
      same.records = (same.records ?? 1) + 1;
      return;
    }
  }
  if (failures.length < MAX_LISTED_FAILURES) {
    failures.push(failure);
    return;
  }
  const unlisted = failures[MAX_LISTED_FAILURES] ?? { row: 0, field: '', path: '', reason: '', records: 0 };
  unlisted.records = (unlisted.records ?? 0) + 1;
  unlisted.reason = `${unlisted.records} more failures not listed`;
  failures[MAX_LISTED_FAILURES] = unlisted;
}

const STANDARD = new Set<string>(STANDARD_LEAD_FIELDS);
/** What a lead field may be called (the dialog checks its rows with the same pattern). */
export const FIELD_NAME = /^[A-Za-z_][\w-]*$/;

/** A row's path as JSONPath: the documents' notation (payload.people_detail.email) means $.payload.people_detail.email. */
export function toJsonPath(path: string): string {
  const trimmed = path.trim();
  if (trimmed.startsWith('$')) return trimmed;
  return trimmed.startsWith('[') ? `$${trimmed}` : `$.${trimmed}`;
}

// jsonpath-plus compiles filters lazily; compile them now so a broken one (or a regex that cannot run in linear
// time) is a deploy-time error.
function checkPath(path: string): string | undefined {
  let depth = 0;
  for (const ch of path) {
    if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') depth--;
    if (depth < 0) return 'has a closing bracket without an opening one';
  }
  if (depth !== 0) return 'has an unclosed bracket';
  if (/\.\.\.|\.$|\.\[/.test(path.replace(/^\$\.\./, '$'))) return 'has an empty step';
  try {
    for (const step of JSONPath.toPathArray(path)) {
      const script = /^\??\((.*)\)$/s.exec(step)?.[1];
      if (script !== undefined)
        new LinearSafeScript(
          script
            .replace(/@parent/g, '_$_parent')
            .replace(/@path/g, '_$_path')
            .replace(/@property/g, '_$_property')
            .replace(/@root/g, '_$_root')
            .replace(/@/g, '_$_v'),
        );
    }
  } catch (err) {
    return `is not valid JSONPath (${(err as Error).message})`;
  }
  return undefined;
}

/** The split path a mapping implies: the prefix of its first row that selects many records ("…[*]"). */
export function inferSplitPath(rows: Pick<MappingRow, 'path'>[]): string | undefined {
  for (const { path } of rows) {
    const normalized = toJsonPath(path || '');
    const index = normalized.indexOf('[*]');
    if (index !== -1) return normalized.slice(0, index + 3);
  }
  return undefined;
}

/** Checks every row once, at deploy; throws MappingConfigError naming the first unusable row. */
export function compileMapping(
  rows: MappingRow[],
  options: { split?: boolean; splitPath?: string } = {},
): CompiledMapping {
  if (!Array.isArray(rows) || rows.length === 0)
    throw new MappingConfigError(undefined, undefined, 'add at least one mapping row');
  let splitPath: string | undefined;
  if (options.split) {
    splitPath = options.splitPath?.trim() ? toJsonPath(options.splitPath) : inferSplitPath(rows);
    if (!splitPath)
      throw new MappingConfigError(
        undefined,
        undefined,
        'splitting needs a path that selects several records, such as payload.call.prospects[*]',
      );
    const problem = checkPath(splitPath);
    if (problem) throw new MappingConfigError(undefined, undefined, `the split path ${problem}`);
  }
  const seen = new Set<string>();
  const compiled = rows.map((raw, index) => {
    const row = index + 1;
    const field = String(raw.field ?? '').trim();
    if (!field) throw new MappingConfigError(row, undefined, 'give the field a name');
    if (!FIELD_NAME.test(field))
      throw new MappingConfigError(
        row,
        field,
        'a field name uses letters, digits, _ and - only, and starts with a letter',
      );
    if (seen.has(field)) throw new MappingConfigError(row, field, 'this field is mapped twice');
    seen.add(field);
    const type = (raw.type || DEFAULT_MAPPING_TYPE) as MappingType;
    if (!MAPPING_TYPES.includes(type)) throw new MappingConfigError(row, field, `unknown type "${String(raw.type)}"`);
    if (!raw.path || !String(raw.path).trim())
      throw new MappingConfigError(row, field, 'enter a path, for example payload.people_detail.email');
    const jsonPath = toJsonPath(String(raw.path));
    const problem = checkPath(jsonPath);
    if (problem) throw new MappingConfigError(row, field, `the path ${problem}`);
    const recordPath = splitPath && jsonPath.startsWith(splitPath) ? `$${jsonPath.slice(splitPath.length)}` : undefined;
    const steps = plainSteps(jsonPath);
    const recordSteps = recordPath !== undefined ? plainSteps(recordPath) : undefined;
    return {
      field,
      path: String(raw.path),
      type,
      required: Boolean(raw.required),
      default: raw.default ?? '',
      row,
      jsonPath,
      recordPath,
      steps,
      recordSteps,
    };
  });
  return { rows: compiled, splitPath };
}

/** The steps of a path that only names properties and indexes; undefined when it needs JSONPath's machinery. */
export function plainSteps(path: string): string[] | undefined {
  const steps = JSONPath.toPathArray(path).slice(1);
  // Wildcards, recursion, filters, scripts, unions, slices and JSONPath's ^ and ~ operators all need jsonpath-plus.
  return steps.every((step) => step !== '' && !/[*?()@,:^~$]|\.\./.test(step) && step !== '..')
    ? [...steps]
    : undefined;
}

/** The value a plain path names, or undefined. */
function walkOne(json: unknown, steps: string[]): unknown {
  let value = json;
  for (const step of steps) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

function find(json: unknown, path: string): unknown[] {
  // Filters run in jsonpath-plus's own interpreter, never as JavaScript, with linear-time regular expressions; a
  // filter that fails on one item (null, a missing property) does not select it, so the other items still count.
  return JSONPath({
    path,
    json: json as object,
    wrap: true,
    eval: LinearSafeScript as never,
    ignoreEvalErrors: true,
  }) as unknown[];
}

/** find(), with anything that still goes wrong reported as the reason instead of thrown. */
function findOrFail(json: unknown, path: string): { matches: unknown[]; error?: string } {
  try {
    return { matches: find(json, path) };
  } catch (err) {
    return { matches: [], error: `the path could not be evaluated on this event (${(err as Error).message})` };
  }
}

const empty = (value: unknown) =>
  value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

function pick(matches: unknown[], type: MappingType): unknown {
  if (type === 'array') return matches.length === 1 ? matches[0] : matches.length === 0 ? undefined : matches;
  return matches.find((m) => !empty(m));
}

/** Standard fields keep the types the lead schema promises, whatever the row's type produced. */
function asStandard(field: string, value: unknown, type: MappingType): unknown {
  if (field === 'score') return typeof value === 'number' ? value : Number(value);
  // Whatever type the row chose, the lead's email and phone are normalised the same way, and only once.
  if (field === 'email' && typeof value === 'string') return value.trim().toLowerCase();
  if (field === 'phone' && type !== 'phone') {
    const phone = coerce(value, 'phone');
    return phone.ok ? phone.value : String(value);
  }
  if (field === 'tags')
    return (Array.isArray(value) ? value : [value])
      .filter((v) => !empty(v))
      .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** fullName, firstName and lastName filled from one another, the same way every time. */
function completeNames(lead: Record<string, unknown>): void {
  const full = typeof lead.fullName === 'string' ? lead.fullName.replace(/\s+/g, ' ').trim() : '';
  if (full) lead.fullName = full;
  if (full && lead.firstName === undefined && lead.lastName === undefined) {
    const parts = full.split(' ');
    lead.firstName = parts[0];
    if (parts.length > 1) lead.lastName = parts.slice(1).join(' ');
  } else if (!full && (lead.firstName || lead.lastName)) {
    lead.fullName = [lead.firstName, lead.lastName].filter(Boolean).join(' ');
  }
}

function buildLead(
  mapping: CompiledMapping,
  event: unknown,
  record: unknown,
  source: LeadSource,
  failures: FieldFailure[],
): Lead | undefined {
  const lead: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  let failed = false;
  const fail = (failure: FieldFailure) => {
    failed = true;
    noteFailure(failures, failure);
  };
  for (const row of mapping.rows) {
    const json = row.recordPath !== undefined ? record : event;
    const steps = row.recordPath !== undefined ? row.recordSteps : row.steps;
    let value: unknown;
    if (steps) {
      // A plain path finds one value or none: picked as pick() would, without a list per row and lead.
      value = walkOne(json, steps);
      if (row.type !== 'array' && empty(value)) value = undefined;
    } else {
      const { matches, error } = findOrFail(json, row.recordPath ?? row.jsonPath);
      if (error) {
        fail({ row: row.row, field: row.field, path: row.path, reason: error });
        continue;
      }
      value = pick(matches, row.type);
    }
    if (empty(value) && row.default !== undefined && row.default !== '') value = row.default;
    if (empty(value)) {
      if (row.required)
        fail({
          row: row.row,
          field: row.field,
          path: row.path,
          reason: 'required, but the path found nothing',
        });
      continue;
    }
    const coerced = coerce(value, row.type);
    if (!coerced.ok) {
      // A value that is present but wrong is an error even on an optional row: it would otherwise vanish silently.
      fail({ row: row.row, field: row.field, path: row.path, reason: coerced.reason });
      continue;
    }
    if (STANDARD.has(row.field)) lead[row.field] = asStandard(row.field, coerced.value, row.type);
    else custom[row.field] = coerced.value;
  }
  if (failed) return undefined;
  completeNames(lead);
  const parsed = leadSchema.safeParse({ ...lead, source, custom });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'lead');
      const row = mapping.rows.find((r) => r.field === field);
      noteFailure(failures, { row: row?.row ?? 0, field, path: row?.path ?? '', reason: issue.message });
    }
    return undefined;
  }
  return parsed.data;
}

/** A mapping under way: its leads and failures so far, and the next records to map. */
export interface LeadMapping extends MapResult {
  /** Maps up to `count` more records (the whole event counts as one); false once all are mapped. */
  next(count: number): boolean;
}

/**
 * Starts mapping one event: one lead per event, or per record in split mode. A caller maps it all at once (mapEvent)
 * or a slice at a time, so a split of thousands of records never holds its event loop for long.
 */
export function startMapping(
  mapping: CompiledMapping,
  event: unknown,
  source: LeadSource = {},
  options: { maxRecords?: number } = {},
): LeadMapping {
  const failures: FieldFailure[] = [];
  const leads: Lead[] = [];
  // Without a split path the event is the one record, mapped with no record of its own.
  let records: unknown[] = [undefined];
  if (mapping.splitPath) {
    const { matches, error } = findOrFail(event, mapping.splitPath);
    const reason = error ?? (matches.length === 0 ? 'the split path found no records' : undefined);
    if (reason) failures.push({ row: 0, field: 'split', path: mapping.splitPath, reason });
    // The dialog's preview maps a bounded number of records; a flow maps them all.
    records = reason ? [] : options.maxRecords !== undefined ? matches.slice(0, options.maxRecords) : matches;
  }
  let mapped = 0;
  return {
    leads,
    failures,
    next(count) {
      const end = Math.min(records.length, mapped + count);
      for (; mapped < end; mapped++) {
        const lead = buildLead(mapping, event, records[mapped], source, failures);
        if (lead) leads.push(lead);
      }
      return mapped < records.length;
    },
  };
}

/** One lead per event, or per record in split mode; every failing field is reported, not just the first. */
export function mapEvent(
  mapping: CompiledMapping,
  event: unknown,
  source: LeadSource = {},
  options: { maxRecords?: number } = {},
): MapResult {
  const { leads, failures, next } = startMapping(mapping, event, source, options);
  next(Infinity);
  return { leads, failures };
}

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** The source block of a lead, from msg.webhook when the message came from sales-webhook in. */
export function leadSourceFrom(webhook: unknown): LeadSource {
  if (!webhook || typeof webhook !== 'object') return {};
  const w = webhook as Record<string, unknown>;
  const source: LeadSource = {};
  if (isText(w.provider)) source.provider = w.provider;
  if (isText(w.eventType)) source.eventType = w.eventType;
  if (isText(w.eventId)) source.eventId = w.eventId;
  if (isText(w.receivedAt)) source.receivedAt = w.receivedAt;
  return source;
}

/** Every path in a sample with its value, for the dialog's field picker ("Get Schema"). */
export function listPaths(sample: unknown, limit = 500): Array<{ path: string; value: unknown }> {
  const out: Array<{ path: string; value: unknown }> = [];
  const walk = (value: unknown, path: string) => {
    if (out.length >= limit) return;
    if (Array.isArray(value)) {
      if (value.length === 0) out.push({ path, value });
      value.forEach((item, i) => walk(item, `${path}[${i}]`));
    } else if (value && typeof value === 'object') {
      const entries = Object.entries(value);
      if (entries.length === 0) out.push({ path, value });
      for (const [key, child] of entries)
        walk(child, path ? (FIELD_NAME.test(key) ? `${path}.${key}` : `${path}['${key.replace(/'/g, "\\'")}']`) : key);
    } else {
      out.push({ path, value });
    }
  };
  walk(sample, '');
  return out;
}
