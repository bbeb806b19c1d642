import type { LeadSummary } from './types';

/** The leads a delivery made, for the log: each person once, in the order first seen. */
export function mergeLeads(current: LeadSummary[], added: LeadSummary[]): LeadSummary[] {
  const key = (l: LeadSummary) => `${l.email ?? ''}\u0000${l.name ?? ''}`;
  const seen = new Set(current.map(key));
  const merged = [...current];
  for (const lead of added) {
    if (!lead.email && !lead.name) continue;
    if (!seen.has(key(lead))) {
      seen.add(key(lead));
      merged.push({ ...(lead.email ? { email: lead.email } : {}), ...(lead.name ? { name: lead.name } : {}) });
    }
  }
  return merged;
}
