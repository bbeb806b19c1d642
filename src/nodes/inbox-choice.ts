import type { Node, NodeAPI } from 'node-red';
import {
  acquireReceivingStore,
  runtimeRedisSettings as redisSettingsOf,
  type ReceivingStore,
  type ReceivingStoreOptions,
  type RuntimeRedisSettings,
  type StoreRuntime,
  type StoreSettings,
} from '../delivery/acquireStore';
import type { RedisStoreNode } from './redis-store-node';

const SEEN_CONTEXT_KEY = 'salesWebhookSeenDeliveries';

const storeSettings = (RED: NodeAPI) => RED.settings as unknown as StoreSettings;

/** settings.js's runtime-wide Redis store (`salesWebhooks.inbox.redis`), when it names one. */
export function runtimeRedisSettings(RED: NodeAPI): RuntimeRedisSettings | undefined {
  return redisSettingsOf(storeSettings(RED));
}

/** A receiving node's store (src/delivery/acquireStore.ts), wired to Node-RED: settings, config nodes, context, texts. */
export function openReceivingStore(
  RED: NodeAPI,
  node: Node,
  options: Omit<ReceivingStoreOptions, 'node'>,
): ReceivingStore {
  const context = () => node.context();
  const runtime: StoreRuntime = {
    settings: storeSettings(RED),
    configuredStore: (id) => RED.nodes.getNode(id) as RedisStoreNode | null,
    loadKeys: (callback) => context().get(SEEN_CONTEXT_KEY, options.contextStore as string, callback),
    saveKeys: (value, callback) => context().set(SEEN_CONTEXT_KEY, value, options.contextStore as string, callback),
    warn: (text) => node.warn(text),
    texts: {
      storeMissing: () => RED._('sales-webhook-in.errors.store-missing'),
      contextProblem: (store) => RED._('sales-webhook-in.errors.context', { store }),
      storeNotDurable: () => RED._('sales-webhook-in.status.store-not-durable'),
    },
  };
  return acquireReceivingStore(runtime, { ...options, node: node.id });
}
