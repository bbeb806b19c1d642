import type { LeadPreset, MappingRow } from './types';

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

/** The rows and split a lead map runs with, and where they come from. */
export interface EffectiveMapping {
  mappings: MappingRow[];
  split: boolean;
  splitPath: string;
  /**
   * `preset`: no rows are stored, so the node follows the preset as this package version defines it (an update of
   * the package can improve it); `rows`: the stored rows (written, or copied from a preset and edited) and nothing else.
   */
  from: 'preset' | 'rows';
}

/** Stored rows win; without any, the named preset's current rows and split path. Unknown presets give no rows. */
export function effectiveMapping(config: LeadMapConfig, findPreset: (id: string) => LeadPreset | undefined): EffectiveMapping {
  const rows = Array.isArray(config.mappings) ? config.mappings : [];
  const preset = rows.length === 0 && config.preset && config.preset !== 'custom' ? findPreset(config.preset) : undefined;
  if (preset) return { mappings: preset.mappings, split: Boolean(preset.splitPath), splitPath: preset.splitPath ?? '', from: 'preset' };
  return { mappings: rows, split: Boolean(config.split), splitPath: config.splitPath ?? '', from: 'rows' };
}
