import type { NodeAPI } from 'node-red';
import type { CrmAccountNode } from './crm-account-node';
import {
  accountSettings,
  CrmConfigError,
  CrmError,
  CrmHttp,
  safeReason,
  scrub,
  ACCOUNT_CREDENTIALS,
  SECRET_CREDENTIALS,
  TokenUnavailableError,
  whoAmI,
  type AccountCredentials,
} from '../crm';

/** What the editor shows in a password field whose stored value it was not given (Node-RED's own placeholder). */
const STORED_PASSWORD = '__PWRD__';
const CREDENTIAL_FIELDS = Object.keys(ACCOUNT_CREDENTIALS) as (keyof typeof ACCOUNT_CREDENTIALS)[];

/**
 * The account dialog's "Test connection": the runtime takes the dialog's current values, puts back the stored
 * secret for every password field left unchanged, fetches a token and makes one harmless read. The answer names the
 * account or gives the CRM's reason, scrubbed; no secret travels back to the browser or into a log.
 */
export function registerTestConnectionEndpoint(RED: NodeAPI): void {
  RED.httpAdmin.post(
    '/sales-crm-account/test-connection',
    RED.auth.needsPermission('sales-crm-account.write'),
    async (req, res) => {
      const body = (req.body ?? {}) as {
        id?: string;
        config?: Record<string, unknown>;
        credentials?: Record<string, unknown>;
      };
      // Only a deployed CRM account lends its stored secrets, never another node type's.
      const deployed = body.id ? (RED.nodes.getNode(String(body.id)) as CrmAccountNode | null) : null;
      const stored =
        (deployed?.type === 'sales-crm-account'
          ? (RED.nodes.getCredentials(String(body.id)) as AccountCredentials | undefined)
          : undefined) ?? {};
      const credentials: AccountCredentials = {};
      let usesStoredSecret = false;
      for (const field of CREDENTIAL_FIELDS) {
        const sent = body.credentials?.[field];
        const keep =
          sent === STORED_PASSWORD ||
          (sent === undefined && !(SECRET_CREDENTIALS as readonly string[]).includes(field));
        if (keep && stored[field] && (SECRET_CREDENTIALS as readonly string[]).includes(field)) usesStoredSecret = true;
        const value = keep ? stored[field] : sent === undefined ? undefined : String(sent);
        if (value) credentials[field] = value;
      }
      // The deployed account may have rotated its refresh token since it was stored: test with the one it holds, and let
      // a rotation made by this test reach the account, or the test would revoke the token the account depends on.
      const sharesRefreshToken = body.credentials?.refreshToken === STORED_PASSWORD && Boolean(deployed?.http);
      if (sharesRefreshToken && deployed?.http?.tokens.currentRefreshToken)
        credentials.refreshToken = deployed.http.tokens.currentRefreshToken;
      const secrets = SECRET_CREDENTIALS.map((k) => credentials[k]);
      let client: CrmHttp | undefined;
      try {
        // One attempt, short: the person is waiting for the button.
        const settings = { ...accountSettings(body.config ?? {}, credentials), maxAttempts: 1 };
        // A stored secret is only ever sent to the servers the deployed account already uses: a dialog pointed elsewhere
        // (a typo, or someone fishing for the secret) must have the secret typed again.
        const servers = (s: { system: string; baseUrl: string; loginUrl: string }) =>
          [s.system, s.baseUrl, s.loginUrl].join(' ');
        if (usesStoredSecret && (!deployed?.settings || servers(deployed.settings) !== servers(settings))) {
          return res.json({ ok: false, message: RED._('sales-crm-account.test.other-server') });
        }
        settings.timeoutMs = Math.min(settings.timeoutMs, 15000);
        client = new CrmHttp(settings, credentials, {
          say: (key, params) => RED._(`sales-crm-account.answer.${key}`, params as Record<string, string | number>),
          onRefreshTokenRotated: sharesRefreshToken ? deployed?.keepRotatedRefreshToken : undefined,
        });
        if (settings.system === 'http') {
          const answer = await probeHttpApi(client);
          return res.json({
            ok: answer.ok,
            message: scrub(RED._(`sales-crm-account.test.${answer.key}`, answer.params), client.secrets()),
          });
        }
        const who = await whoAmI(client);
        res.json({
          ok: true,
          message: RED._('sales-crm-account.test.connected', { who: scrub(who, client.secrets()) }),
        });
      } catch (err) {
        const all = [...secrets, ...(client?.secrets() ?? [])];
        const reason =
          err instanceof CrmConfigError
            ? err.message
            : err instanceof TokenUnavailableError
              ? err.message
              : err instanceof CrmError
                ? [err.message, err.crmMessage && !err.message.includes(err.crmMessage) ? err.crmMessage : '']
                    .filter(Boolean)
                    .join(': ')
                : RED._('sales-crm-account.test.unexpected');
        res.json({
          ok: false,
          field: err instanceof CrmConfigError ? err.field : undefined,
          message: scrub(reason, all),
        });
      } finally {
        await client?.close().catch(() => undefined);
      }
    },
  );
}

/**
 * An HTTP API has no standard "who am I": the test asks for a token when the account has an OAuth server, then makes
 * one GET to the API URL and passes only when an HTTP server answered there and did not refuse the token (401, 403)
 * or fail (5xx). Nothing listening fails, naming the URL.
 */
async function probeHttpApi(
  client: CrmHttp,
): Promise<{ ok: boolean; key: string; params: Record<string, string | number> }> {
  const spec = { method: 'GET' as const, path: '' };
  const answer = await client.send(spec);
  const url = client.shownUrl(spec);
  const reason = safeReason(answer.body, answer.text, client.secrets(), 200);
  const params = {
    url,
    status: answer.status,
    answer: reason ? `${answer.status} (${reason})` : String(answer.status),
  };
  if (answer.status === 401 || answer.status === 403) return { ok: false, key: 'http-refused', params };
  if (answer.status >= 500) return { ok: false, key: 'http-failing', params };
  return { ok: true, key: 'http-answered', params };
}
