import type { NodeAPI, NodeDef } from 'node-red';
import {
  accountSettings,
  AUTHS_BY_SYSTEM,
  CrmConfigError,
  CrmHttp,
  DEFAULT_FIELD_MAPS,
  DEFAULT_LOGIN_URLS,
  DEFAULT_BASE_URLS,
  ZOHO_ACCOUNTS_SERVERS,
} from '../crm';
import { migrate } from '../migrations';
import type { CrmAccountNode } from './crm-account-node';
import { registerCrmFieldsRoute } from './crm-dialog-routes';
import { registerTestConnectionEndpoint } from './crm-test-connection';

export = function (RED: NodeAPI) {
  function SalesCrmAccount(this: CrmAccountNode, storedConfig: NodeDef & Record<string, unknown>) {
    RED.nodes.createNode(this, storedConfig);
    const config = migrate('sales-crm-account', storedConfig);
    const credentials = this.credentials ?? {};
    try {
      this.settings = accountSettings(config, credentials);
      // The token is fetched when the first lead needs it, not at deploy: a CRM that is down must not fail the deploy.
      this.http = new CrmHttp(this.settings, credentials);
    } catch (err) {
      if (!(err instanceof CrmConfigError)) throw err;
      this.configError = err.message;
    }
    this.on('close', (done: () => void) => {
      // Pending requests finish or fail; the pool then closes its kept-alive connections.
      if (!this.http) return done();
      this.http.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('sales-crm-account', SalesCrmAccount as any, {
    credentials: {
      token: { type: 'password' },
      instanceUrl: { type: 'text' },
      headerName: { type: 'text' },
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      refreshToken: { type: 'password' },
      privateKey: { type: 'password' },
      username: { type: 'text' },
    },
  });

  RED.httpAdmin.get('/sales-crm/field-maps', RED.auth.needsPermission('sales-crm-account.read'), (_req, res) => {
    res.json(DEFAULT_FIELD_MAPS);
  });
  // One copy of each fact: the dialog asks the runtime which ways each CRM authenticates and where its servers are.
  RED.httpAdmin.get('/sales-crm/systems', RED.auth.needsPermission('sales-crm-account.read'), (_req, res) => {
    res.json({
      auths: AUTHS_BY_SYSTEM,
      loginUrls: DEFAULT_LOGIN_URLS,
      baseUrls: DEFAULT_BASE_URLS,
      zohoDataCenters: ZOHO_ACCOUNTS_SERVERS,
    });
  });
  registerTestConnectionEndpoint(RED);
  registerCrmFieldsRoute(RED);
};
