import type { Lead } from '../leadmap/lead';

/** One row of the field map: the CRM's field name, and where its value comes from in our lead (a dotted path). */
export interface FieldMapRow {
  crmField: string;
  leadField: string;
}

export function readLeadField(lead: Lead, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined),
      lead,
    );
}

/** The CRM's fields for a lead; unmapped or empty values are left out rather than sent as blanks that overwrite data. */
export function buildFields(lead: Lead, map: FieldMapRow[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const { crmField, leadField } of map) {
    if (!crmField || !leadField) continue;
    const value = readLeadField(lead, leadField);
    if (value === undefined || value === null || value === '') continue;
    fields[crmField] = Array.isArray(value) ? value.join(';') : value;
  }
  return fields;
}
