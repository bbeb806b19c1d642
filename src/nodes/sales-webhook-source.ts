import type { Node, NodeAPI, NodeDef } from 'node-red';
import { describeProviders, getProvider } from '../providers/registry';
import type { ProviderProfile } from '../providers/types';
import { buildVerifierOptions, type SourceConfig, type SourceCredentials } from '../receive/source';
import { authenticationHeaders, createVerifier } from '../verify';
import { WebhookConfigError, type Verifier } from '../verify/types';

export interface SalesWebhookSourceNode extends Node<SourceCredentials> {
  profile?: ProviderProfile;
  verifier?: Verifier;
  authenticationHeaders: string[];
  /** Why this source cannot verify anything; shown by the nodes that use it. Never contains a secret. */
  configError?: string;
}

type SourceNodeDef = NodeDef & SourceConfig;

export = function (RED: NodeAPI) {
  function SalesWebhookSource(this: SalesWebhookSourceNode, config: SourceNodeDef) {
    RED.nodes.createNode(this, config);
    this.authenticationHeaders = [];
    const profile = getProvider(config.provider);
    if (!profile) {
      this.configError = RED._('sales-webhook-source.errors.unknown-provider', { provider: String(config.provider) });
      return;
    }
    this.profile = profile;
    try {
      const options = buildVerifierOptions(profile, config, this.credentials ?? {});
      this.verifier = createVerifier(options);
      this.authenticationHeaders = authenticationHeaders(options.scheme);
    } catch (err) {
      if (!(err instanceof WebhookConfigError)) throw err;
      this.configError = err.message;
    }
  }

  RED.nodes.registerType('sales-webhook-source', SalesWebhookSource as any, {
    credentials: {
      secret: { type: 'password' },
      previousSecret: { type: 'password' },
      token: { type: 'password' },
    },
  });

  // The dialog builds its provider list, descriptions and event lists from the profiles themselves.
  RED.httpAdmin.get('/sales-webhook-source/providers', RED.auth.needsPermission('sales-webhook-source.read'), (_req, res) => {
    res.json(describeProviders());
  });
};
