/**
 * Where the rest of the package reports what alert nodes watch, besides the delivery announcements: a refused
 * request, a store's health, a CRM account whose credentials were refused. Listeners are alert nodes; with none,
 * a report costs a loop over an empty set.
 */

/** The comms topic the delivery log's sidebar refreshes its list of open problems on. */
export const ALERTS_TOPIC = 'sales-webhooks/alerts';
/** The admin route that lists the open problems (under httpAdminRoot). */
export const ALERTS_ROUTE = 'sales-webhooks/alerts';
/** "Replay these" on an open problem (POST, under httpAdminRoot). */
export const ALERTS_REPLAY_ROUTE = 'sales-webhooks/alerts/replay';

export type AlertSignal =
  | { type: 'refused'; node: string; provider?: string }
  | { type: 'store-health'; node: string; location: string; ok: boolean; reason?: string }
  | { type: 'credentials-refused'; account: string; name?: string; system?: string; reason: string }
  | { type: 'account-started'; account: string };

type Listener = (signal: AlertSignal, at: number) => void;
const listeners = new Set<Listener>();
/** Accounts refused since they started: an alert node deployed later still learns of them. */
const refusedAccounts = new Map<string, Extract<AlertSignal, { type: 'credentials-refused' }>>();

/** Receiving nodes whose store cannot take deliveries now, with why. */
const unhealthyStores = new Map<string, Extract<AlertSignal, { type: 'store-health' }>>();

export function reportAlertSignal(signal: AlertSignal): void {
  if (signal.type === 'credentials-refused') refusedAccounts.set(signal.account, signal);
  else if (signal.type === 'account-started') refusedAccounts.delete(signal.account);
  else if (signal.type === 'store-health' && signal.ok) unhealthyStores.delete(signal.node);
  else if (signal.type === 'store-health') unhealthyStores.set(signal.node, signal);
  const at = Date.now();
  for (const listener of listeners) {
    try {
      listener(signal, at);
    } catch {
      // An alert node's trouble never reaches the code that reported.
    }
  }
}

/** Calls `listener` at each signal; returns the function that stops it. */
export function onAlertSignal(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The accounts whose credentials are refused now (refused since they last started). */
export function refusedCrmAccounts(): Extract<AlertSignal, { type: 'credentials-refused' }>[] {
  return [...refusedAccounts.values()];
}

/** The receiving nodes whose store reported it cannot take deliveries, and has not recovered since. */
export function unhealthyStoresNow(): Extract<AlertSignal, { type: 'store-health' }>[] {
  return [...unhealthyStores.values()];
}
