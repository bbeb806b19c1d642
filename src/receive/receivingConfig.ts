import { positiveNumber } from '../shared/numbers';
import { WEBHOOK_IN_DEFAULTS } from './webhookInDefaults';

/** A `sales-webhook in` node's stored configuration (after migration), as its dialog saves it. */
export interface WebhookInConfig {
  url: string;
  source: string;
  maxBytes?: number | string;
  /** Seconds a body may take to arrive. */
  bodyTimeout?: number | string;
  dedupe?: boolean;
  dedupeHours?: number | string;
  dedupeLimit?: number | string;
  /** Inbox off only: the context store that keeps the duplicate keys across restarts. */
  dedupeStore?: string;
  /** Store every delivery durably before answering 2xx (default on; absent in flows saved before the inbox). */
  inbox?: boolean;
  /** A `sales-webhook-redis` config node shared by several Node-RED instances; empty: the embedded file. */
  store?: string;
  leaseMinutes?: number | string;
  maxAttempts?: number | string;
}

/** What a receiving node runs with, in the units the code uses. */
export interface ReceivingSettings {
  /** Under httpNodeRoot, with one leading slash. */
  url: string;
  maxBytes: number;
  bodyTimeoutMs: number;
  /** 0 when duplicates are not suppressed. */
  duplicateWindowMs: number;
  duplicateLimit: number;
  leaseMs: number;
  maxAttempts: number;
  inbox: boolean;
  storeId: string | undefined;
  contextStore: string | undefined;
}

/** A field the node cannot run with, as the key of `sales-webhook-in.errors.*`. */
export interface ConfigProblem {
  problem: 'missing-url' | 'invalid-max-bytes' | 'invalid-body-timeout' | 'invalid-dedupe' | 'invalid-lease';
}

/** Reads the dialog's fields (numbers or text; empty means the default), or names the first one that is wrong. */
export function receivingSettingsOf(config: WebhookInConfig): ReceivingSettings | ConfigProblem {
  if (!config.url || !String(config.url).trim()) return { problem: 'missing-url' };
  const maxBytes = positiveNumber(config.maxBytes, WEBHOOK_IN_DEFAULTS.maxBytes);
  if (maxBytes === undefined) return { problem: 'invalid-max-bytes' };
  const bodyTimeoutSeconds = positiveNumber(config.bodyTimeout, WEBHOOK_IN_DEFAULTS.bodyTimeout);
  if (bodyTimeoutSeconds === undefined) return { problem: 'invalid-body-timeout' };
  const dedupeHours = positiveNumber(config.dedupeHours, WEBHOOK_IN_DEFAULTS.dedupeHours);
  const dedupeLimit = positiveNumber(config.dedupeLimit, WEBHOOK_IN_DEFAULTS.dedupeLimit);
  if (dedupeHours === undefined || dedupeLimit === undefined) return { problem: 'invalid-dedupe' };
  const leaseMinutes = positiveNumber(config.leaseMinutes, WEBHOOK_IN_DEFAULTS.leaseMinutes);
  const maxAttempts = positiveNumber(config.maxAttempts, WEBHOOK_IN_DEFAULTS.maxAttempts);
  if (leaseMinutes === undefined || maxAttempts === undefined || !Number.isInteger(maxAttempts))
    return { problem: 'invalid-lease' };
  return {
    url: '/' + String(config.url).trim().replace(/^\/+/, ''),
    maxBytes,
    bodyTimeoutMs: bodyTimeoutSeconds * 1000,
    duplicateWindowMs: config.dedupe === false ? 0 : dedupeHours * 3600 * 1000,
    duplicateLimit: Math.floor(dedupeLimit),
    leaseMs: leaseMinutes * 60_000,
    maxAttempts,
    inbox: config.inbox !== false,
    storeId: config.store,
    contextStore: config.dedupeStore || undefined,
  };
}
