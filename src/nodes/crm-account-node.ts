import type { Node } from 'node-red';
import type { AccountCredentials, AccountSettings, CrmAccountHealthTracker, CrmHttp } from '../crm';

/** The runtime side of a sales-crm-account config node, as sales-crm out sees it. */
export interface CrmAccountNode extends Node<AccountCredentials> {
  settings?: AccountSettings;
  /** The account's client: its token, connection pool, cap on requests in flight and retries. */
  http?: CrmHttp;
  /** Another client of this account (Test connection) rotated its refresh token: the account sends and keeps the new one. */
  keepRotatedRefreshToken?: (refreshToken: string) => void;
  /** Where the account's deliveries report its health (the delivery log's CRM section). */
  health?: CrmAccountHealthTracker;
  /** Why this account cannot send anything; never contains a credential. */
  configError?: string;
}
