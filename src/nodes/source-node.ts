import type { Node } from 'node-red';
import type { ProviderProfile } from '../providers/types';
import type { SourceCredentials } from '../receive/source';
import type { Verifier } from '../verify/types';

/** The runtime side of a sales-webhook-source config node, as the nodes that use it see it. */
export interface SalesWebhookSourceNode extends Node<SourceCredentials> {
  profile?: ProviderProfile;
  verifier?: Verifier;
  authenticationHeaders: string[];
  /** Why this source cannot verify anything; shown by the nodes that use it. Never contains a secret. */
  configError?: string;
}

