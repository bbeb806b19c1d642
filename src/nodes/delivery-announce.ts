import type { NodeAPI } from 'node-red';
import type { DeliveryState } from '../inbox/types';

/** The comms topic the delivery log's sidebar listens on. */
export const DELIVERY_LOG_TOPIC = 'sales-webhooks/deliveries';

/** What the editor learns of a change: ids and a state, never personal data. */
export interface DeliveryAnnouncement {
  id: string;
  node: string;
  state: DeliveryState;
}

/** Announcements within this time go out together, so a burst of deliveries costs the editors one refresh. */
const BATCH_MS = 250;
/** A batch larger than this goes out as counts only. */
const MAX_LISTED = 20;

let queued: DeliveryAnnouncement[] = [];
let timer: NodeJS.Timeout | undefined;
let comms: Pick<NodeAPI, 'comms'>['comms'] | undefined;

function flush(): void {
  timer = undefined;
  const batch = queued;
  queued = [];
  if (!comms || batch.length === 0) return;
  if (batch.length <= MAX_LISTED) {
    for (const a of batch) comms.publish(DELIVERY_LOG_TOPIC, { id: a.id, node: a.node, state: a.state }, false);
    return;
  }
  const states: Partial<Record<DeliveryState, number>> = {};
  for (const a of batch) states[a.state] = (states[a.state] ?? 0) + 1;
  comms.publish(DELIVERY_LOG_TOPIC, { count: batch.length, states }, false);
}

/**
 * Tells open editors that a delivery changed state (stored, emitted, settled, replayed). Cheap on the hot path:
 * announcements are batched and published at most every BATCH_MS.
 */
export function announceDelivery(RED: Pick<NodeAPI, 'comms'> | undefined, announcement: DeliveryAnnouncement): void {
  // Settling nodes have no runtime handle at hand: they use the comms the receiving node announced through.
  if (RED) comms = RED.comms;
  if (!comms) return;
  queued.push(announcement);
  timer ??= setTimeout(flush, BATCH_MS).unref();
}

/** After an erasure: how many went, nothing about whom. */
export function announceErasure(RED: Pick<NodeAPI, 'comms'>, erased: number): void {
  RED.comms.publish(DELIVERY_LOG_TOPIC, { erased }, false);
}
