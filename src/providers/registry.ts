import type { LeadPreset } from '../leadmap/types';
import { callcall } from './callcall';
import { genericHmac, github, headerToken, none, standardWebhooks, stripe } from './generic';
import { recorder } from './recorder';
import { saleassist } from './saleassist';
import { salescaling } from './salescaling';
import { salesmagic } from './salesmagic';
import type { ProviderProfile } from './types';

// Platforms first, then the generic schemes; a new platform is one import and one entry here.
const PROVIDERS: readonly ProviderProfile[] = [
  salescaling,
  salesmagic,
  recorder,
  saleassist,
  callcall,
  standardWebhooks,
  stripe,
  github,
  genericHmac,
  headerToken,
  none,
];
const BY_ID = new Map(PROVIDERS.map((p) => [p.id, p]));

export function getProvider(id: string | undefined): ProviderProfile | undefined {
  return id === undefined ? undefined : BY_ID.get(id);
}

export function listProviders(): readonly ProviderProfile[] {
  return PROVIDERS;
}

/** What the editor shows of each provider: JSON-safe, no schemas, no secrets. */
export function describeProviders() {
  return PROVIDERS.map((p) => ({
    id: p.id,
    label: p.label,
    description: p.description,
    fields: p.fields,
    verification: p.verification,
    events: Object.entries(p.events).map(([type, e]) => ({ type, description: e.description })),
    presets: Object.entries(p.leadPresets).map(([eventType, preset]) => ({
      id: `${p.id}:${eventType}`,
      label: preset.label,
      eventType,
    })),
  }));
}

export interface NamedLeadPreset extends LeadPreset {
  /** `<provider>:<eventType>`. */
  id: string;
  provider: string;
  eventType: string;
}

export function listLeadPresets(): NamedLeadPreset[] {
  return PROVIDERS.flatMap((p) =>
    Object.entries(p.leadPresets).map(([eventType, preset]) => ({
      ...preset,
      id: `${p.id}:${eventType}`,
      provider: p.id,
      eventType,
    })),
  );
}

export function getLeadPreset(id: string): NamedLeadPreset | undefined {
  return listLeadPresets().find((preset) => preset.id === id);
}
