import { currentVersion, migrate } from '../migrations';
import type { LeadPreset, MappingRow } from './types';

export const LEAD_MAP_VERSION = currentVersion('sales-lead-map');
/** The preset id that means "no preset: the rows are the user's own". */
export const CUSTOM_PRESET = 'custom';
/** What a lead map dragged from the palette starts with: where, and the one row most events need. */
export const NEW_LEAD_MAP = {
  property: 'payload',
  mappings: [{ field: 'email', path: 'payload.people_detail.email', type: 'email', required: true, default: '' }],
} as const satisfies { property: string; mappings: readonly MappingRow[] };

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
    rows.length === 0 && config.preset && config.preset !== CUSTOM_PRESET ? findPreset(config.preset) : undefined;
  if (preset)
    return {
      mappings: preset.mappings,
      split: Boolean(preset.splitPath),
      splitPath: preset.splitPath ?? '',
      from: 'preset',
    };
  return { mappings: rows, split: Boolean(config.split), splitPath: config.splitPath ?? '', from: 'rows' };
}
