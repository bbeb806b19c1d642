import type { FieldMapRow } from './fieldmap';

export const CRM_OUT_VERSION = 1;

/** What the sales-crm out dialog stores. */
export interface CrmOutConfig {
  account?: string;
  fieldMap?: FieldMapRow[];
  externalIdField?: string;
  method?: string;
  url?: string;
  version?: number;
}

/** Version 0 stored the field map as an object { crmField: leadField }; rows keep their order and can be edited. */
export function migrateCrmOutConfig<T extends CrmOutConfig>(config: T): T {
  if (config.version) return config;
  const stored = config.fieldMap as unknown;
  const fieldMap = Array.isArray(stored)
    ? stored
    : stored && typeof stored === 'object'
      ? Object.entries(stored as Record<string, string>).map(([crmField, leadField]) => ({ crmField, leadField }))
      : [];
  return { ...config, fieldMap, method: config.method || 'POST', externalIdField: config.externalIdField ?? '', url: config.url ?? '', version: CRM_OUT_VERSION };
}
