import type { NodeAPI, NodeDef } from 'node-red';
import { accountSettings, authFor, CrmConfigError, CrmHttp, DEFAULT_FIELD_MAPS } from '../crm';
import { migrate } from '../migrations';
import type { CrmAccountNode } from './crm-account-node';

export = function (RED: NodeAPI) {
  function SalesCrmAccount(this: CrmAccountNode, storedConfig: NodeDef & Record<string, unknown>) {
    RED.nodes.createNode(this, storedConfig);
    const config = migrate('sales-crm-account', storedConfig);
    const credentials = this.credentials ?? {};
    try {
      this.settings = accountSettings(config, credentials);
      const auth = authFor(this.settings, credentials.token!.trim(), credentials.headerName);
      this.http = new CrmHttp(this.settings, auth.headers, auth.query, [credentials.token!.trim()]);
    } catch (err) {
      if (!(err instanceof CrmConfigError)) throw err;
      this.configError = err.message;
    }
    this.on('close', (done: () => void) => {
      // Pending requests finish or fail; the pool then closes its kept-alive connections.
      if (!this.http) return done();
      this.http.close().then(() => done(), () => done());
    });
  }

  RED.nodes.registerType('sales-crm-account', SalesCrmAccount as any, {
    credentials: {
      token: { type: 'password' },
      instanceUrl: { type: 'text' },
      headerName: { type: 'text' },
    },
  });

  RED.httpAdmin.get('/sales-crm/field-maps', RED.auth.needsPermission('sales-crm-account.read'), (_req, res) => {
    res.json(DEFAULT_FIELD_MAPS);
  });
};
