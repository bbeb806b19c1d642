import { join } from 'node:path';
import type { NodeAPI, NodeDef } from 'node-red';
import {
  ACCOUNT_CREDENTIALS,
  accountSettings,
  AUTHS_BY_SYSTEM,
  CrmConfigError,
  crmHealthBoard,
  CrmHttp,
  DEFAULT_FIELD_MAPS,
  getCrmSystem,
  DEFAULT_LOGIN_URLS,
  DEFAULT_BASE_URLS,
  ZOHO_ACCOUNTS_SERVERS,
} from '../crm';
import { ROTATED_TOKENS_FILE, RotatedRefreshTokens } from '../crm/rotatedTokens';
import { reportAlertSignal } from '../alerts/signals';
import { migrate } from '../migrations';
import type { CrmAccountNode } from './crm-account-node';
import { registerCrmFieldsRoute } from './crm-dialog-routes';
import { registerTestConnectionEndpoint } from './crm-test-connection';
import { guardPackageAdminRoutes } from './admin-guard';
import { registerCrmHealthRoute } from './crm-health-route';

export = function (RED: NodeAPI) {
  guardPackageAdminRoutes(RED);
  /** The file of rotated refresh tokens, encrypted with the key Node-RED encrypts credentials with; none without a user directory. */
  function rotatedTokenFile(): RotatedRefreshTokens | undefined {
    const settings = RED.settings as unknown as { userDir?: string; get?: (key: string) => unknown };
    const setting = (key: string) => {
      try {
        return settings.get?.(key);
      } catch {
        return undefined; // Node-RED's runtime settings are not available (a test harness)
      }
    };
    const own = setting('credentialSecret');
    const secret = own === false ? false : typeof own === 'string' && own ? own : setting('_credentialSecret');
    if (!settings.userDir || (secret !== false && (typeof secret !== 'string' || !secret))) return undefined;
    return new RotatedRefreshTokens(join(settings.userDir, ROTATED_TOKENS_FILE), secret);
  }

  function SalesCrmAccount(this: CrmAccountNode, storedConfig: NodeDef & Record<string, unknown>) {
    RED.nodes.createNode(this, storedConfig);
    const node = this;
    const config = migrate('sales-crm-account', storedConfig);
    const credentials = this.credentials ?? {};
    const deployedRefreshToken = credentials.refreshToken?.trim();
    const rotated = rotatedTokenFile();
    /** A rotated refresh token is kept with the credentials (saved at the next deploy) and in the file (read at a restart). */
    const keepRotated = (refreshToken: string) => {
      RED.nodes.addCredentials(node.id, { ...(RED.nodes.getCredentials(node.id) ?? credentials), refreshToken });
      if (!rotated || !deployedRefreshToken) return;
      try {
        rotated.remember(node.id, deployedRefreshToken, refreshToken);
      } catch (err) {
        node.warn(
          RED._('sales-crm-account.errors.rotated-not-saved', {
            file: rotated.file,
            code: (err as NodeJS.ErrnoException).code ?? '',
          }),
        );
      }
    };
    /** The account's row in the delivery log's CRM accounts, named as the editor names it. */
    const trackHealth = (system: string) =>
      crmHealthBoard.track(node.id, String(config.name ?? '') || getCrmSystem(system)?.label || system, system);
    try {
      this.settings = accountSettings(config, credentials);
      const restored =
        this.settings.auth === 'refresh-token' ? rotated?.rotatedFrom(node.id, deployedRefreshToken) : undefined;
      // The token is fetched when the first lead needs it, not at deploy: a CRM that is down must not fail the deploy.
      this.http = new CrmHttp(this.settings, credentials, {
        say: (key, params) => RED._(`sales-crm-account.answer.${key}`, params as Record<string, string | number>),
        refreshToken: restored,
        onRefreshTokenRotated: keepRotated,
      });
      // The runtime's copy follows, so Test connection and the next deploy use the token the account holds.
      if (restored) RED.nodes.addCredentials(node.id, { ...credentials, refreshToken: restored });
      this.keepRotatedRefreshToken = (refreshToken) => this.http?.tokens.adoptRefreshToken(refreshToken);
      this.health = trackHealth(this.settings.system);
      reportAlertSignal({ type: 'account-started', account: node.id });
      this.http.tokens.onRefused((reason) =>
        reportAlertSignal({ type: 'credentials-refused', account: node.id, reason }),
      );
    } catch (err) {
      if (!(err instanceof CrmConfigError)) throw err;
      this.configError = err.message;
      // Nothing can be sent: the log says so, with what to fix (the message never quotes a credential).
      trackHealth(String(config.system ?? '')).misconfigured(err.message);
    }
    this.on('close', (removed: boolean, done: () => void) => {
      if (removed) {
        crmHealthBoard.drop(node.id);
        try {
          rotated?.forget(node.id);
        } catch {
          // Nothing to forget, or the directory is read-only: the entry is ignored once its account is gone.
        }
      }
      // Pending requests finish or fail; the pool then closes its kept-alive connections.
      if (!this.http) return done();
      this.http.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('sales-crm-account', SalesCrmAccount as any, { credentials: ACCOUNT_CREDENTIALS });

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
  registerCrmHealthRoute(RED);
};
