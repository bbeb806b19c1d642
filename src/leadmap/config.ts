import { currentVersion, migrate } from '../migrations';
import type { LeadPreset, MappingRow } from './types';

export const LEAD_MAP_VERSION = currentVersion('sales-lead-map');

/** What the sales-lead-map dialog stores. */
export interface LeadMapConfig {
  preset?: string;
  mappings?: MappingRow[];
  property?: string;
  split?: boolean;
  splitPath?: string;
  version?: number;
}

/** Brings a stored configuration up to the current version (the steps are in src/migrations.ts). */
export function migrateLeadMapConfig<T extends LeadMapConfig>(config: T): T {
  return migrate('sales-lead-map', config);
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
export function effectiveMapping(
  config: LeadMapConfig,
  findPreset: (id: string) => LeadPreset | undefined,
): EffectiveMapping {
  const rows = Array.isArray(config.mappings) ? config.mappings : [];
  const preset =
    rows.length === 0 && config.preset && config.preset !== 'custom' ? findPreset(config.preset) : undefined;
  if (preset)
    return {
      mappings: preset.mappings,
      split: Boolean(preset.splitPath),
      splitPath: preset.splitPath ?? '',
      from: 'preset',
    };
  return { mappings: rows, split: Boolean(config.split), splitPath: config.splitPath ?? '', from: 'rows' };
}
