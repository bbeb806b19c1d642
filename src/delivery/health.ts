import type { InboxStore, StoreHealth, StoreHealthReporting } from '../inbox/types';

/** Until every store reports health (StoreHealthReporting), one that does not counts as healthy. */
type MaybeReporting = InboxStore & Partial<StoreHealthReporting>;

export function storeHealth(store: InboxStore): StoreHealth {
  const reporting = store as MaybeReporting;
  return typeof reporting.health === 'function' ? reporting.health() : { ok: true };
}

/** Calls the listener at each change of the store's health; returns the function that stops it. */
export function watchStoreHealth(store: InboxStore, listener: (health: StoreHealth) => void): () => void {
  const reporting = store as MaybeReporting;
  return typeof reporting.onHealthChange === 'function' ? reporting.onHealthChange(listener) : () => undefined;
}
