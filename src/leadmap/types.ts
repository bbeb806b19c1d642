export const MAPPING_TYPES = ['string', 'number', 'boolean', 'email', 'phone', 'date', 'array', 'json'] as const;
export type MappingType = (typeof MAPPING_TYPES)[number];
/** The type of a row that names none. */
export const DEFAULT_MAPPING_TYPE: MappingType = 'string';

/** One row of the lead-map dialog. */
export interface MappingRow {
  /** A standard lead field (email, phone, fullName, …) or any other name, which lands in lead.custom. */
  field: string;
  /** JSONPath; the documents' notation without "$." (payload.people_detail.email) means the same. */
  path: string;
  type: MappingType;
  required: boolean;
  /** Used when the path finds nothing; empty string means no default. */
  default?: string;
}

/** A built-in mapping for one provider's event, offered in the dialog as `<provider>:<eventType>`. */
export interface LeadPreset {
  label: string;
  /**
   * JSONPath selecting the records to emit one lead each (e.g. "payload.call.prospects[*]").
   * Rows whose path starts with this path are read from each record; the other rows from the whole event.
   */
  splitPath?: string;
  mappings: MappingRow[];
}
