import type { NodeAPI } from 'node-red';
import { CRM_HEALTH_ROUTE, crmHealthBoard } from '../crm/health';
import { onErasure } from '../log/erasures';
import { READ_PERMISSION } from './delivery-log-routes';
import { requireLogPermission } from './log-permission';

let erasureWired = false;

/** GET sales-webhooks/crm-health: `{ now, accounts: CrmAccountHealth[] }`, with the log's read permission. */
export function registerCrmHealthRoute(RED: NodeAPI): void {
  // A CRM's refusal may name the address it refused: an erasure reaches the reasons the board keeps too.
  if (!erasureWired) {
    erasureWired = true;
    onErasure((mentions) => crmHealthBoard.forget(mentions));
  }
  RED.httpAdmin.get(`/${CRM_HEALTH_ROUTE}`, ...requireLogPermission(RED, READ_PERMISSION, 'list'), (_req, res) => {
    res.json({ now: Date.now(), accounts: crmHealthBoard.list() });
  });
}
