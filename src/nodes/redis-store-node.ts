import type { Node } from 'node-red';
import type { RedisInboxStore } from '../inbox/redis';

/** The `sales-webhook-redis` config node: one connection and one store, shared by every `sales webhook` naming it. */
export interface RedisStoreNode extends Node {
  store?: RedisInboxStore;
  /** What is wrong with the configuration (the store is absent then), in the dialog's words. */
  configError?: string;
}

/** Overrides this instance's consumer name (default hostname-pid): set it per instance, never in the shared flow. */
export const INSTANCE_ID_ENV = 'SALES_WEBHOOKS_INSTANCE_ID';
