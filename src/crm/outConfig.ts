import type { FieldMapRow } from './fieldmap';

/** What the sales-crm out dialog stores. */
export interface CrmOutConfig {
  account?: string;
  fieldMap?: FieldMapRow[];
  externalIdField?: string;
  method?: string;
  url?: string;
  version?: number;
}
