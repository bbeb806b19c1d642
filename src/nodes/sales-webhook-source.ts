import type { NodeAPI, NodeDef } from 'node-red';
import { migrate } from '../migrations';
import { describeProviders, getProvider } from '../providers/registry';
import { buildVerifierOptions, type SourceConfig } from '../receive/source';
import { authenticationHeaders, createVerifier } from '../verify';
import { WebhookConfigError } from '../verify/types';
import type { SalesWebhookSourceNode } from './source-node';
import { guardPackageAdminRoutes } from './admin-guard';

type SourceNodeDef = NodeDef & SourceConfig;

export = function (RED: NodeAPI) {
  guardPackageAdminRoutes(RED);
  function SalesWebhookSource(this: SalesWebhookSourceNode, storedConfig: SourceNodeDef) {
    RED.nodes.createNode(this, storedConfig);
    const config = migrate('sales-webhook-source', storedConfig);
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
      this.scheme = options.scheme;
      this.signingSecret = options.secrets[0];
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
  RED.httpAdmin.get(
    '/sales-webhook-source/providers',
    RED.auth.needsPermission('sales-webhook-source.read'),
    (_req, res) => {
      res.json(describeProviders());
    },
  );
};
