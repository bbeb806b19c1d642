import type { DeliveryState } from '../inbox/types';

/** The comms topic the delivery log's sidebar listens on. */
export const DELIVERY_LOG_TOPIC = 'sales-webhooks/deliveries';

/** What the editor learns of a change: ids and a state, never personal data. */
export interface DeliveryAnnouncement {
  id: string;
  node: string;
  state: DeliveryState;
  /** Why it failed (a settling point's reason): for alert nodes, never published to editors. */
  reason?: string;
}

/** Announcements within this time go out together, so a burst of deliveries costs the editors one refresh. */
const BATCH_MS = 250;
/** A batch larger than this goes out as counts only. */
const MAX_LISTED = 20;

/**
 * The batch so far: its first MAX_LISTED + 1 announcements (enough to tell whether it is listed) and its count per
 * state; under load a batch holds thousands, which would otherwise all outlive the young generation for BATCH_MS.
 */
let queued: DeliveryAnnouncement[] = [];
let queuedCount = 0;
let queuedStates: Partial<Record<DeliveryState, number>> = {};
let timer: NodeJS.Timeout | undefined;
/** How announcements reach the editors (Node-RED's comms.publish), set by the first receiving node. */
export type Publish = (topic: string, data: unknown, retain: boolean) => void;
let publish: Publish | undefined;

type Subscriber = (announcement: DeliveryAnnouncement) => void;
const subscribers = new Set<Subscriber>();

/** Hears every announcement as it is made (alert nodes, metrics); returns the function that stops it. */
export function subscribeToAnnouncements(subscriber: Subscriber): () => void {
  subscribers.add(subscriber);
  return () => subscribers.delete(subscriber);
}

/** Where announcements go from now on. */
export function publishAnnouncementsWith(to: Publish): void {
  publish = to;
}

function flush(): void {
  timer = undefined;
  const batch = queued;
  const count = queuedCount;
  const states = queuedStates;
  queued = [];
  queuedCount = 0;
  queuedStates = {};
  if (!publish || count === 0) return;
  if (count <= MAX_LISTED) {
    for (const a of batch) publish(DELIVERY_LOG_TOPIC, { id: a.id, node: a.node, state: a.state }, false);
    return;
  }
  publish(DELIVERY_LOG_TOPIC, { count, states }, false);
}

/**
 * Tells open editors that a delivery changed state (stored, emitted, settled, replayed). Cheap on the hot path:
 * announcements are batched and published at most every BATCH_MS.
 */
export function announceDelivery(announcement: DeliveryAnnouncement): void {
  for (const listener of subscribers) {
    try {
      listener(announcement);
    } catch {
      // A listener's fault must not stop the delivery's own announcement.
    }
  }
  if (!publish) return;
  if (queuedCount++ <= MAX_LISTED) queued.push(announcement);
  queuedStates[announcement.state] = (queuedStates[announcement.state] ?? 0) + 1;
  timer ??= setTimeout(flush, BATCH_MS).unref();
}

/** After an erasure: how many went, nothing about whom. */
export function announceErasure(erased: number): void {
  publish?.(DELIVERY_LOG_TOPIC, { erased }, false);
}

/** After a replay was asked for: how many, nothing about whom. */
export function announceReplay(replayed: number): void {
  publish?.(DELIVERY_LOG_TOPIC, { replayed }, false);
}
