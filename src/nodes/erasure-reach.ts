import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeAPI } from 'node-red';
import { acquireSqliteInbox, releaseInbox } from '../inbox';
import { inboxFile, type InboxLocationSettings } from '../inbox/location';
import { DeliveryLogError } from '../log/filter';
import type { RedisStoreNode } from './redis-store-node';

/** In the user directory: every embedded inbox file this instance was set to, so an erasure reaches the old ones. */
export const INBOX_LEDGER_FILE = '.sales-webhooks-inboxes.json';

/**
 * An erasure must reach every store the instance has used, not only those of the nodes deployed now: embedded files
 * it was set to before (settings.js `salesWebhooks.inbox.file` changed; remembered at each start) and the Redis stores
 * of `sales-webhook-redis` config nodes no receiving node uses any more.
 */
export function erasureReach(RED: NodeAPI): { eraseElsewhere(email: string): Promise<number> } {
  const settings = RED.settings as unknown as InboxLocationSettings;
  const ledger = path.join(settings.userDir || path.join(os.homedir(), '.node-red'), INBOX_LEDGER_FILE);
  const remembered = (): string[] => {
    try {
      const files = (JSON.parse(fs.readFileSync(ledger, 'utf8')) as { files?: unknown }).files;
      return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
    } catch {
      return [];
    }
  };
  const current = inboxFile(settings);
  if (!remembered().includes(current)) {
    try {
      fs.writeFileSync(ledger, JSON.stringify({ files: [...remembered(), current] }, null, 2));
    } catch (err) {
      RED.log.warn(`sales-webhooks: cannot note the inbox file for erasures in ${ledger}: ${(err as Error).message}`);
    }
  }
  return {
    async eraseElsewhere(email) {
      let erased = 0;
      // The current file is the delivery log's own; a file deleted since holds nobody.
      for (const file of remembered()) {
        if (file === current || !fs.existsSync(file)) continue;
        const store = acquireSqliteInbox(file);
        try {
          await store.ready();
          erased += await store.erase(email);
        } catch (err) {
          // Said, never skipped: the person asked to be erased everywhere.
          throw new DeliveryLogError(503, 'errors.unavailable', {
            store: store.kind,
            location: file,
            reason: (err as Error).message,
          });
        } finally {
          await releaseInbox(store);
        }
      }
      const redisNodes: string[] = [];
      RED.nodes.eachNode((n) => {
        if (n.type === 'sales-webhook-redis') redisNodes.push(n.id);
      });
      // A store a receiving node uses was erased already: a second pass finds nothing there and counts nothing.
      for (const id of redisNodes) {
        const store = (RED.nodes.getNode(id) as RedisStoreNode | null)?.store;
        if (store) erased += await store.erase(email);
      }
      return erased;
    },
  };
}
