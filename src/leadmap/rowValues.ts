import { compileMapping, mapEvent, MappingConfigError } from './engine';
import { STANDARD_LEAD_FIELDS, type LeadSource } from './lead';
import type { MappingRow } from './types';

/** What one dialog row yields for the sample: the value as it lands in the lead, or why it yields nothing usable. */
export interface RowValue {
  row: number;
  value?: unknown;
  reason?: string;
}

const STANDARD = new Set<string>(STANDARD_LEAD_FIELDS);
const ROW_PREFIX = /^row \d+(?: \([^)]*\))?: /;

/**
 * Each row mapped alone against the sample (the first record when splitting), so every row shows its own value or
 * error even while another row is broken. Uses the engine as the node does; nothing here is mapping logic of its own.
 */
export function rowValues(
  rows: MappingRow[],
  options: { split?: boolean; splitPath?: string },
  sample: unknown,
  source: LeadSource = {},
): RowValue[] {
  let splitPath: string | undefined;
  try {
    splitPath = compileMapping(rows, options).splitPath;
  } catch {
    splitPath = options.split && options.splitPath?.trim() ? options.splitPath : undefined;
  }
  return rows.map((row, index) => {
    const number = index + 1;
    try {
      const single = compileMapping([row], { split: Boolean(splitPath), splitPath });
      // Only the first record is shown: a sample with many records costs one, however large.
      const { leads, failures } = mapEvent(single, sample, source, { maxRecords: 1 });
      if (failures.length) return { row: number, reason: failures[0].reason };
      const field = String(row.field).trim();
      const lead = leads[0] as Record<string, unknown> & { custom: Record<string, unknown> };
      return { row: number, value: STANDARD.has(field) ? lead[field] : lead.custom[field] };
    } catch (err) {
      if (!(err instanceof MappingConfigError)) throw err;
      return { row: number, reason: err.message.replace(ROW_PREFIX, '') };
    }
  });
}
