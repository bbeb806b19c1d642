import type { Node } from 'node-red';
import type { ConfiguredStore } from '../delivery/acquireStore';

export { INSTANCE_ID_ENV } from '../delivery/acquireStore';

/** The `sales-webhook-redis` config node: one connection and one store, shared by every `sales webhook` naming it. */
export interface RedisStoreNode extends Node, ConfiguredStore {}
