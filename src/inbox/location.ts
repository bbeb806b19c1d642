import path from 'node:path';
import { DEFAULT_DATABASE_FILE } from './sqlite';

/** The part of Node-RED's settings (settings.js) that says where the embedded inbox lives. */
export interface InboxLocationSettings {
  userDir?: string;
  salesWebhooks?: { inbox?: { file?: string } };
}

/**
 * The embedded inbox's file: `salesWebhooks.inbox.file` from settings.js (relative to the user directory), else
 * `sales-webhooks.db` in the user directory. The one place both the receiving nodes and the delivery log ask, so they
 * always open the same file.
 */
export function inboxFile(settings: InboxLocationSettings): string {
  const userDir = settings.userDir || process.cwd();
  const configured = settings.salesWebhooks?.inbox?.file;
  return path.resolve(userDir, typeof configured === 'string' && configured.trim() ? configured.trim() : DEFAULT_DATABASE_FILE);
}
