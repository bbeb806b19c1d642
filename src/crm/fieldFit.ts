import { STANDARD_LEAD_FIELDS, leadSchema, leadSourceSchema } from '../leadmap/lead';

/** What a lead field holds, as the field map's type check sees it; `any` for a custom field, whose type is unknown. */
export type LeadValueType = 'string' | 'number' | 'list' | 'date' | 'any';

/** What a CRM field takes (CrmField.accepts, from the system's listFields). */
export type CrmAccepts = 'string' | 'number' | 'boolean' | 'date' | 'enumeration' | 'any';

/**
 * Which lead values can fill each kind of CRM field: a number or a list (sent joined with ';', the separator
 * HubSpot and Salesforce use for multi-select values) can be written as text, text cannot be a number or a date.
 */
export const FILLABLE_BY: Record<CrmAccepts, LeadValueType[]> = {
  string: ['string', 'number', 'list', 'date', 'any'],
  enumeration: ['string', 'list', 'any'],
  number: ['number', 'any'],
  boolean: ['any'],
  date: ['date', 'any'],
  any: ['string', 'number', 'list', 'date', 'any'],
};

/** ISO 8601 timestamps among the lead's fields (the schema types them as strings). */
const DATE_FIELDS = new Set(['source.receivedAt']);

function valueType(schema: unknown): LeadValueType {
  let def = (schema as { def?: { type?: string; innerType?: unknown } }).def;
  while (def?.type === 'optional') def = (def.innerType as { def?: { type?: string; innerType?: unknown } }).def;
  switch (def?.type) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'array':
      return 'list';
    default:
      return 'any';
  }
}

/** Each standard and source field of a lead with the type of value it holds, read from the lead's schema. */
export function leadFieldTypes(): Record<string, LeadValueType> {
  const types: Record<string, LeadValueType> = {};
  for (const field of STANDARD_LEAD_FIELDS) types[field] = valueType(leadSchema.shape[field]);
  for (const [key, schema] of Object.entries(leadSourceSchema.shape)) {
    const path = `source.${key}`;
    types[path] = DATE_FIELDS.has(path) ? 'date' : valueType(schema);
  }
  return types;
}
