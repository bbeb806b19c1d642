import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { CrmError, DEFAULT_FIELD_MAPS, migrateCrmOutConfig, upsertLead, type CrmOutConfig, type UpsertOptions } from '../crm';
import { leadSchema } from '../leadmap/lead';
import { describeIssues } from '../providers/envelope';
import type { CrmAccountNode } from './crm-account-node';
import { settleLead } from './settle';

interface CrmOutNodeDef extends NodeDef, CrmOutConfig {}

const STATUS_INTERVAL_MS = 250;

export = function (RED: NodeAPI) {
  function SalesCrmOut(this: Node, rawConfig: CrmOutNodeDef) {
    RED.nodes.createNode(this, rawConfig);
    const config = migrateCrmOutConfig(rawConfig);
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
    const fieldMap = Array.isArray(config.fieldMap) && config.fieldMap.length > 0 ? config.fieldMap : system ? DEFAULT_FIELD_MAPS[system] : [];
    const method = (['POST', 'PUT', 'PATCH'].includes(String(config.method)) ? config.method : 'POST') as UpsertOptions['method'];
    const options: UpsertOptions = { fieldMap, externalIdField: config.externalIdField, method, url: config.url };

    const counts = { sent: 0, failed: 0, pending: 0 };
    let retrying = false;
    let statusTimer: NodeJS.Timeout | undefined;
    const showStatus = () => {
      statusTimer = undefined;
      const text = RED._('sales-crm-out.status.counts', { sent: String(counts.sent), failed: String(counts.failed), pending: String(counts.pending) });
      node.status(retrying && counts.pending > 0
        ? { fill: 'yellow', shape: 'ring', text: `${RED._('sales-crm-out.status.retrying')} · ${text}` }
        : { fill: counts.failed > 0 ? 'red' : 'green', shape: 'dot', text });
    };
    const scheduleStatus = () => { statusTimer ??= setTimeout(showStatus, STATUS_INTERVAL_MS); };
    if (account?.http) {
      account.http.onRetry = () => { retrying = true; scheduleStatus(); };
    }

    node.on('input', (msg: NodeMessage, send, done) => {
      const fail = (error: { message: string; status?: number; crmMessage?: string; attempts: number }) => {
        settleLead(node, msg, { state: 'failed', system, reason: error.message, attempts: error.attempts });
        counts.failed++;
        scheduleStatus();
        send([null, { ...msg, error } as NodeMessage]);
        done(new Error(error.message));
      };
      if (configError || !account?.http || !account.settings) return fail({ message: configError ?? RED._('sales-crm-out.errors.no-account'), attempts: 0 });
      const parsed = leadSchema.safeParse(msg.payload);
      if (!parsed.success) {
        return fail({ message: RED._('sales-crm-out.errors.not-a-lead', { issues: describeIssues(parsed.error).join('; ') }), attempts: 0 });
      }
      counts.pending++;
      scheduleStatus();
      upsertLead(account.http, account.settings, parsed.data, options).then(
        (crm) => {
          settleLead(node, msg, { state: 'delivered', system: crm.system, recordId: crm.id, action: crm.action, attempts: crm.attempts });
          counts.pending--;
          counts.sent++;
          if (counts.pending === 0) retrying = false;
          scheduleStatus();
          send([{ ...msg, crm } as NodeMessage, null]);
          done();
        },
        (err: unknown) => {
          counts.pending--;
          if (counts.pending === 0) retrying = false;
          if (err instanceof CrmError) return fail({ message: err.message, status: err.status, crmMessage: err.crmMessage, attempts: err.attempts });
          // Anything unexpected still reaches output 2 with the lead, never silently dropped; its text is generic.
          fail({ message: RED._('sales-crm-out.errors.unexpected'), attempts: 0 });
        },
      );
    });

    node.on('close', () => {
      if (statusTimer) clearTimeout(statusTimer);
      if (account?.http) account.http.onRetry = undefined;
    });
  }

  RED.nodes.registerType('sales-crm out', SalesCrmOut as any);
};
