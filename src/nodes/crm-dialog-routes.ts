import type { NodeAPI } from 'node-red';
import type { Request, Response, NextFunction } from 'express';
import {
  authorisation,
  CrmAuthRefusedError,
  CrmError,
  deliveryFor,
  getCrmSystem,
  httpApiMethod,
  listCrmFields,
  previewLeadRequests,
  scrub,
  TokenUnavailableError,
  upsertLead,
  type CrmRequest,
  type CrmSender,
  type FieldMapRow,
  type UpsertOptions,
} from '../crm';
import { cut } from '../crm/errors';
import { REDACTED, sampleLead, showRequest, withoutSecrets, type ShownRequest } from '../crm/testLead';
import type { CrmAccountNode } from './crm-account-node';

/** An answer body shown in the dialog is cut here: a CRM's error page must not fill the browser. */
const SHOWN_ANSWER_CHARS = 20_000;

/** Message keys, in the catalogue of the node file that registered the route (RED._ reads that one). */
interface Words {
  notDeployed: string;
  unusable: string;
  refused: string;
  unexpected: string;
}

/** The deployed account the dialog names, or the reason (for the person) why the runtime cannot speak for it. */
function deployedAccount(
  RED: NodeAPI,
  id: string,
  words: Words,
):
  | { account: CrmAccountNode & Required<Pick<CrmAccountNode, 'http' | 'settings'>> }
  | { status: number; error: string } {
  const account = RED.nodes.getNode(id) as CrmAccountNode | null;
  if (!account || account.type !== 'sales-crm-account') return { status: 404, error: RED._(words.notDeployed) };
  if (account.configError || !account.http || !account.settings)
    return {
      status: 409,
      error: RED._(words.unusable, { reason: account.configError ?? '' }),
    };
  return { account: account as CrmAccountNode & Required<Pick<CrmAccountNode, 'http' | 'settings'>> };
}

/** A failure as the dialog words it: the CRM's reason for a refusal, never a secret, never a stack. */
function reasonOf(RED: NodeAPI, words: Words, err: unknown, secrets: string[]): string {
  const text =
    err instanceof CrmAuthRefusedError
      ? RED._(words.refused, { reason: err.reason })
      : err instanceof CrmError || err instanceof TokenUnavailableError
        ? err.message
        : RED._(words.unexpected);
  return scrub(text, secrets);
}

/** The field map the dialog sent, as rows of two strings; anything else is left out. */
function fieldMapOf(raw: unknown): FieldMapRow[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((r) => r && typeof r.crmField === 'string' && typeof r.leadField === 'string')
    .map((r: FieldMapRow) => ({ crmField: r.crmField.trim(), leadField: r.leadField.trim() }))
    .filter((r) => r.crmField && r.leadField);
}

const ACCOUNT_WORDS: Words = {
  notDeployed: 'sales-crm-account.fields.not-deployed',
  unusable: 'sales-crm-account.fields.unusable',
  refused: 'sales-crm-account.fields.refused',
  unexpected: 'sales-crm-account.fields.unexpected',
};

/**
 * `GET sales-crm-account/:id/fields`: the deployed account's record fields for the crm out dialog's field picker
 * (custom ones included, required ones marked, with their types), or the CRM's refusal in words; never a secret.
 * Registered by the sales-crm-account node file, whose message catalogue it speaks from.
 */
export function registerCrmFieldsRoute(RED: NodeAPI): void {
  RED.httpAdmin.get(
    '/sales-crm-account/:id/fields',
    RED.auth.needsPermission('sales-crm-account.read'),
    async (req: Request, res: Response) => {
      const found = deployedAccount(RED, String(req.params.id), ACCOUNT_WORDS);
      if ('error' in found) return res.status(found.status).json({ error: found.error });
      const { account } = found;
      try {
        // Through the account's paced sender: the dialog's reads count against the same quota as its leads.
        const fields = await listCrmFields(deliveryFor(account.http, account.settings).sender, account.settings);
        res.json({
          system: account.settings.system,
          object: getCrmSystem(account.settings.system).label,
          fields: withoutSecrets(fields, account.http.secrets()),
        });
      } catch (err) {
        res.status(502).json({ error: reasonOf(RED, ACCOUNT_WORDS, err, account.http.secrets()) });
      }
    },
  );
}

const OUT_WORDS: Words = {
  notDeployed: 'sales-crm-out.errors.deploy-account',
  unusable: 'sales-crm-out.errors.account',
  refused: 'sales-crm-out.errors.refused',
  unexpected: 'sales-crm-out.errors.unexpected',
};

/**
 * `POST sales-crm-out/:id/test-lead`: builds the request a sales-crm out node sends for the sample lead with the
 * dialog's field map (`send: false`, a preview), or sends it (`send: true`, which needs write permission) through the
 * deployed account and returns each request and the CRM's answer, every secret replaced. The node itself need not be
 * deployed yet (the dialog sends its values); its account must be. Registered by the sales-crm out node file.
 */
export function registerTestLeadRoute(RED: NodeAPI): void {
  const readPermission = RED.auth.needsPermission('sales-crm-out.read');
  const writePermission = RED.auth.needsPermission('sales-crm-out.write');
  RED.httpAdmin.post(
    '/sales-crm-out/:id/test-lead',
    // A preview only reads; sending puts a record into the CRM.
    (req: Request, res: Response, next: NextFunction) =>
      ((req.body as { send?: unknown } | undefined)?.send === true ? writePermission : readPermission)(req, res, next),
    async (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const found = deployedAccount(RED, String(body.account ?? ''), OUT_WORDS);
      if ('error' in found) return res.status(found.status).json({ error: found.error });
      const { account } = found;
      const { settings, http } = account;
      const secrets = () => http.secrets();
      const fieldMap = fieldMapOf(body.fieldMap);
      const options: UpsertOptions = {
        fieldMap: fieldMap.length ? fieldMap : getCrmSystem(settings.system).defaultFieldMap,
        externalIdField: typeof body.externalIdField === 'string' ? body.externalIdField : undefined,
        method: httpApiMethod(body.method),
        url: typeof body.url === 'string' ? body.url : undefined,
      };
      const lead = sampleLead();
      try {
        // The token says where the API is (Salesforce, Zoho); its value never leaves this function.
        const token = await http.tokens.get();
        const baseUrl = http.baseUrl(token.apiBaseUrl);
        const auth = authorisation(settings, REDACTED, account.credentials?.headerName);
        const shown = (request: CrmRequest): ShownRequest => showRequest(request, baseUrl, auth, secrets());
        if (body.send !== true) {
          return res.json({ sent: false, lead, requests: previewLeadRequests(settings, lead, options).map(shown) });
        }
        const paced = deliveryFor(http, settings).sender;
        const requests: ShownRequest[] = [];
        const answers: Array<{ status: number; body: unknown }> = [];
        // The account's own paced client, watched: each request and the CRM's answer to it go back to the dialog.
        const watched: CrmSender = {
          secrets,
          fail: (response, what) => paced.fail(response, what),
          send: async (request, hooks) => {
            requests.push(shown(request));
            const response = await paced.send(request, hooks);
            answers.push({
              status: response.status,
              body:
                response.body !== undefined && response.text.length <= SHOWN_ANSWER_CHARS
                  ? withoutSecrets(response.body, secrets())
                  : cut(scrub(response.text, secrets()), SHOWN_ANSWER_CHARS),
            });
            return response;
          },
        };
        try {
          const result = await upsertLead(watched, settings, lead, options);
          res.json({
            sent: true,
            ok: true,
            lead,
            requests,
            answers,
            message: RED._('sales-crm-out.test.sent', { action: result.action, id: result.id ?? '' }),
          });
        } catch (err) {
          res.json({
            sent: true,
            ok: false,
            lead,
            requests,
            answers,
            message: RED._('sales-crm-out.test.refused', { reason: reasonOf(RED, OUT_WORDS, err, secrets()) }),
          });
        }
      } catch (err) {
        res.status(err instanceof CrmError && err.attempts === 0 ? 400 : 502).json({
          error: RED._('sales-crm-out.errors.test-failed', { reason: reasonOf(RED, OUT_WORDS, err, secrets()) }),
        });
      }
    },
  );
}
