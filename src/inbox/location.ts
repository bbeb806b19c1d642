import { resolveInboxSettings } from './settings';

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
  return resolveInboxSettings(settings.salesWebhooks, settings.userDir).file;
}
