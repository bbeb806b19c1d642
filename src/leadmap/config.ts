import type { MappingRow } from './types';

export const LEAD_MAP_VERSION = 1;

/** What the sales-lead-map dialog stores. */
export interface LeadMapConfig {
  preset?: string;
  mappings?: MappingRow[];
  property?: string;
  split?: boolean;
  splitPath?: string;
  version?: number;
}

/** Brings a stored configuration up to the current version; version 0 (no version) had no splitPath and loose rows. */
export function migrateLeadMapConfig<T extends LeadMapConfig>(config: T): T {
  if (config.version) return config;
  return {
    ...config,
    splitPath: config.splitPath ?? '',
    property: config.property || 'payload',
    preset: config.preset || 'custom',
    mappings: (config.mappings ?? []).map((row) => ({ ...row, type: row.type || 'string', required: Boolean(row.required), default: row.default ?? '' })),
    version: LEAD_MAP_VERSION,
  };
}
