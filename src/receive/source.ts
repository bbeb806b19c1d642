import type { ProviderProfile } from '../providers/types';
import { positiveNumber } from '../shared/numbers';
import { WebhookConfigError, type VerificationScheme, type VerifierOptions } from '../verify/types';

export const DEFAULT_TOLERANCE_SECONDS = 300;

/** What the sales-webhook-source dialog stores (properties; secrets come separately as credentials). */
export interface SourceConfig {
  provider: string;
  tolerance?: number | string;
  headerName?: string;
  signatureHeader?: string;
  algorithm?: string;
  encoding?: string;
  prefix?: string;
  template?: string;
  timestampHeader?: string;
  idHeader?: string;
}

export interface SourceCredentials {
  secret?: string;
  previousSecret?: string;
  token?: string;
}

const nonEmpty = (value: string | undefined): value is string => typeof value === 'string' && value.trim() !== '';

/**
 * The verifier options for a source: the provider's default scheme with the user's edits for the fields the
 * provider shows, and the secrets it needs. Throws WebhookConfigError (never quoting a secret).
 */
export function buildVerifierOptions(
  profile: ProviderProfile,
  config: SourceConfig,
  credentials: SourceCredentials,
): VerifierOptions {
  const tolerance = positiveNumber(config.tolerance, DEFAULT_TOLERANCE_SECONDS);
  if (tolerance === undefined) {
    throw new WebhookConfigError('tolerance', 'tolerance must be a positive number of seconds');
  }
  const shown = new Set(profile.fields);
  const base = profile.verification;
  let scheme: VerificationScheme = base;
  if (base.kind === 'header-token') {
    scheme = {
      ...base,
      headerName:
        shown.has('headerName') && nonEmpty(config.headerName)
          ? config.headerName.trim().toLowerCase()
          : base.headerName,
    };
  } else if (base.kind === 'hmac') {
    const edited = (
      field: 'signatureHeader' | 'algorithm' | 'encoding' | 'prefix' | 'template' | 'timestampHeader' | 'idHeader',
    ) => (shown.has(field) && config[field] !== undefined ? String(config[field]).trim() : undefined);
    scheme = {
      ...base,
      header: (edited('signatureHeader') || base.header).toLowerCase(),
      algorithm: (edited('algorithm') || base.algorithm) as typeof base.algorithm,
      encoding: (edited('encoding') || base.encoding) as typeof base.encoding,
      prefix: edited('prefix') ?? base.prefix,
      template: edited('template') || base.template,
      timestampHeader: (edited('timestampHeader') ?? base.timestampHeader)?.toLowerCase() || undefined,
      idHeader: (edited('idHeader') ?? base.idHeader)?.toLowerCase() || undefined,
    };
  }
  let secrets: string[];
  if (scheme.kind === 'none') secrets = [];
  else if (scheme.kind === 'header-token') secrets = [credentials.token ?? ''];
  else
    secrets = [credentials.secret ?? '', ...(nonEmpty(credentials.previousSecret) ? [credentials.previousSecret] : [])];
  return { scheme, secrets, toleranceSeconds: tolerance };
}
