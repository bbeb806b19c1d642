import type { Node } from 'node-red';
import type { ProviderProfile } from '../providers/types';
import type { SourceCredentials } from '../receive/source';
import type { VerificationScheme, Verifier } from '../verify/types';

/** The runtime side of a sales-webhook-source config node, as the nodes that use it see it. */
export interface SalesWebhookSourceNode extends Node<SourceCredentials> {
  profile?: ProviderProfile;
  verifier?: Verifier;
  /** The scheme in force (the provider's, with the user's edits); the test-event sender signs with it. */
  scheme?: VerificationScheme;
  /** The current secret or token, for the test-event sender only; never logged or sent to the editor. */
  signingSecret?: string;
  authenticationHeaders: string[];
  /** Why this source cannot verify anything; shown by the nodes that use it. Never contains a secret. */
  configError?: string;
}
