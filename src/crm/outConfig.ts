import type { FieldMapRow } from './fieldmap';

/** The methods an HTTP API account's node may send with, the first being the default. */
export const HTTP_API_METHODS = ['POST', 'PUT', 'PATCH'] as const;
export type HttpApiMethod = (typeof HTTP_API_METHODS)[number];

/** The node's method if it is one of HTTP_API_METHODS, else the default. */
export const httpApiMethod = (raw: unknown): HttpApiMethod =>
  (HTTP_API_METHODS as readonly string[]).includes(String(raw)) ? (raw as HttpApiMethod) : HTTP_API_METHODS[0];

/** The Salesforce field a new node upserts by (the dialog's default for "Upsert by"). */
export const DEFAULT_EXTERNAL_ID_FIELD = 'Email';

/** What the sales-crm out dialog stores. */
export interface CrmOutConfig {
  account?: string;
  fieldMap?: FieldMapRow[];
  externalIdField?: string;
  method?: string;
  url?: string;
  version?: number;
}
