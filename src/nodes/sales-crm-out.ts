import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import {
  CrmAuthRefusedError,
  CrmError,
  DEFAULT_FIELD_MAPS,
  deliveryFor,
  LeadWithdrawnError,
  type CrmCallRecord,
  type CrmOutConfig,
  type UpsertOptions,
  type UpsertResult,
} from '../crm';
import { leadSchema } from '../leadmap/lead';
import { describeIssues } from '../providers/envelope';
import { migrate } from '../migrations';
import type { CrmAccountNode } from './crm-account-node';
import { registerTestLeadRoute } from './crm-dialog-routes';
import { passOn } from './passOn';
import { settleLead } from './settle';

interface CrmOutNodeDef extends NodeDef, CrmOutConfig {}

const STATUS_INTERVAL_MS = 250;

interface OutputError {
  message: string;
  status?: number;
  crmMessage?: string;
  attempts: number;
}

/** The requests and answers go to the delivery log only, not into msg.error. */
type Failure = OutputError & { calls?: CrmCallRecord[] };

export = function (RED: NodeAPI) {
  function SalesCrmOut(this: Node, rawConfig: CrmOutNodeDef) {
    RED.nodes.createNode(this, rawConfig);
    const config = migrate('sales-crm out', rawConfig);
    const node = this;
    const account = RED.nodes.getNode(config.account ?? '') as CrmAccountNode | null;
    const configError = !account
      ? RED._('sales-crm-out.errors.no-account')
      : account.configError
        ? RED._('sales-crm-out.errors.account', { reason: account.configError })
        : undefined;
    if (configError) {
      node.warn(configError);
      node.status({ fill: 'red', shape: 'ring', text: configError });
    }
    const system = account?.settings?.system;
    const fieldMap =
      Array.isArray(config.fieldMap) && config.fieldMap.length > 0
        ? config.fieldMap
        : system
          ? DEFAULT_FIELD_MAPS[system]
          : [];
    const method = (
      ['POST', 'PUT', 'PATCH'].includes(String(config.method)) ? config.method : 'POST'
    ) as UpsertOptions['method'];

    // The account's batches and quota, shared by every node on the account.
    const delivery =
      account?.http && account.settings ? deliveryFor(account.http, account.settings, account.health) : undefined;
    const counts = { sent: 0, failed: 0, pending: 0 };
    let retrying = false;
    /** The CRM refused the account's credentials: the status says so until a redeploy. */
    let refused: string | undefined = account?.http?.tokens.refusedReason;
    let statusTimer: NodeJS.Timeout | undefined;
    const showStatus = () => {
      statusTimer = undefined;
      const text = RED._('sales-crm-out.status.counts', {
        sent: String(counts.sent),
        failed: String(counts.failed),
        pending: String(counts.pending),
      });
      if (refused)
        return node.status({
          fill: 'red',
          shape: 'ring',
          text: RED._('sales-crm-out.status.refused', { reason: refused }),
        });
      // A daily quota nearly spent is said before the CRM starts refusing.
      const daily = delivery?.dailyWarning();
      if (daily)
        return node.status({
          fill: 'yellow',
          shape: 'ring',
          text: `${RED._('sales-crm-out.status.daily-quota', { remaining: String(daily.remaining), limit: String(daily.limit) })} · ${text}`,
        });
      node.status(
        retrying && counts.pending > 0
          ? { fill: 'yellow', shape: 'ring', text: `${RED._('sales-crm-out.status.retrying')} · ${text}` }
          : { fill: counts.failed > 0 ? 'red' : 'green', shape: 'dot', text },
      );
    };
    const scheduleStatus = () => {
      statusTimer ??= setTimeout(showStatus, STATUS_INTERVAL_MS);
    };
    // This node's own callbacks: another node on the same account has its own, and closing one leaves the other's.
    const options: UpsertOptions = {
      fieldMap,
      externalIdField: config.externalIdField,
      method,
      url: config.url,
      hooks: {
        onRetry: () => {
          retrying = true;
          scheduleStatus();
        },
      },
    };
    const stopListening = account?.http?.tokens.onRefused((reason) => {
      refused = reason;
      node.warn(RED._('sales-crm-out.errors.refused', { reason }));
      scheduleStatus();
    });

    const notPassedOn = (reason: string) => RED._('sales-crm-out.errors.not-passed-on', { reason });

    node.on('input', (msg: NodeMessage, send, done) => {
      /** The lead is in the CRM: the one place a success is reported. */
      const delivered = ({ calls, ...crm }: UpsertResult) => {
        settleLead(node, msg, {
          state: 'delivered',
          system: crm.system,
          recordId: crm.id,
          action: crm.action,
          attempts: crm.attempts,
          ...(calls?.length ? { calls } : {}),
        });
        counts.sent++;
        scheduleStatus();
        passOn(node, notPassedOn, () => {
          send([{ ...msg, crm } as NodeMessage, null]);
          done();
        });
      };
      /** The lead will not reach the CRM (every attempt spent, refused, or not a lead): the one place a final failure is reported. */
      const failed = ({ calls, ...error }: Failure) => {
        settleLead(node, msg, {
          state: 'failed',
          system,
          reason: error.message,
          attempts: error.attempts,
          ...(calls?.length ? { calls } : {}),
        });
        counts.failed++;
        scheduleStatus();
        passOn(node, notPassedOn, () => {
          send([null, { ...msg, error } as NodeMessage]);
          done(new Error(error.message));
        });
      };
      if (configError || !delivery)
        return failed({ message: configError ?? RED._('sales-crm-out.errors.no-account'), attempts: 0 });
      const parsed = leadSchema.safeParse(msg.payload);
      if (!parsed.success) {
        return failed({
          message: RED._('sales-crm-out.errors.not-a-lead', { issues: describeIssues(parsed.error).join('; ') }),
          attempts: 0,
        });
      }
      counts.pending++;
      scheduleStatus();
      const answered = () => {
        counts.pending--;
        if (counts.pending === 0) retrying = false;
      };
      delivery.deliver(parsed.data, options).then(
        (crm) => {
          answered();
          delivered(crm);
        },
        (err: unknown) => {
          answered();
          // Withdrawn unsent as the node closed: left unsettled, so the inbox emits it again to the next node.
          if (err instanceof LeadWithdrawnError) return done();
          if (err instanceof CrmAuthRefusedError)
            return failed({
              message: RED._('sales-crm-out.errors.refused', { reason: err.reason }),
              crmMessage: err.reason,
              attempts: 0,
              calls: err.calls,
            });
          if (err instanceof CrmError)
            return failed({
              message: err.message,
              status: err.status,
              crmMessage: err.crmMessage,
              attempts: err.attempts,
              calls: err.calls,
            });
          // Anything unexpected still reaches output 2 with the lead, never silently dropped; its text is generic.
          failed({ message: RED._('sales-crm-out.errors.unexpected'), attempts: 0 });
        },
      );
    });

    if (refused) scheduleStatus();

    node.on('close', () => {
      delivery?.withdraw(options);
      if (statusTimer) clearTimeout(statusTimer);
      stopListening?.();
    });
  }

  RED.nodes.registerType('sales-crm out', SalesCrmOut as any);
  registerTestLeadRoute(RED);
};
