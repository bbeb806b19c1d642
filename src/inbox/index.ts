import { SqliteInboxStore } from './sqlite';
import type { InboxStore } from './types';

export * from './types';
export { SqliteInboxStore, DEFAULT_DATABASE_FILE } from './sqlite';

/** One store per file, shared by every node that uses it; closed when the last one lets go. */
const openStores = new Map<string, { store: SqliteInboxStore; users: number }>();

export function acquireSqliteInbox(file: string): SqliteInboxStore {
  let entry = openStores.get(file);
  if (!entry) {
    entry = { store: new SqliteInboxStore(file), users: 0 };
    openStores.set(file, entry);
  }
  entry.users++;
  return entry.store;
}

export async function releaseInbox(store: InboxStore): Promise<void> {
  const entry = openStores.get(store.location);
  if (!entry || entry.store !== store) return store.close();
  if (--entry.users > 0) return;
  openStores.delete(store.location);
  await entry.store.close();
}
