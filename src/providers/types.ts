import type { ZodType } from 'zod';
import type { VerificationScheme } from '../verify/types';
import type { LeadPreset } from '../leadmap/types';

/** Fields of the sales-webhook-source dialog a provider needs besides name and provider. */
export const SOURCE_FIELDS = [
  'secret',
  'previousSecret',
  'token',
  'tolerance',
  'headerName',
  'signatureHeader',
  'algorithm',
  'encoding',
  'prefix',
  'template',
  'timestampHeader',
  'idHeader',
] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number];

/** Where the envelope keeps what every event has. Paths are plain dot paths into the parsed body. */
export interface EnvelopeLocation {
  typePath?: string;
  typeHeader?: string;
  /** Event id in the body; when neither this nor idHeader nor the signature gives one, a SHA-256 of the raw body keys duplicates. */
  idPath?: string;
  idHeader?: string;
  occurredAtPath?: string;
}

export interface EventDefinition {
  description: string;
  /** Checks what the document promises; unknown extra fields pass (schemas are loose, not strict). */
  schema: ZodType;
}

export interface ProviderProfile {
  id: string;
  label: string;
  /** One paragraph for the editor: what the platform is, how it authenticates, its quirks. */
  description: string;
  /** Default verification; the generic providers let the user edit it through `fields`. */
  verification: VerificationScheme;
  /** Dialog fields shown for this provider. */
  fields: SourceField[];
  envelope: EnvelopeLocation;
  /** Documented event types. Empty for generic providers, whose every event is `known: false`. */
  events: Record<string, EventDefinition>;
  /** Applied to events of a type the document does not list; they still flow with known=false. */
  envelopeSchema: ZodType;
  /** Lead-map presets keyed by event type. */
  leadPresets: Record<string, LeadPreset>;
}
