import type { DeliveryState, InboxStore, LeadSummary, SettleRecord } from '../inbox/types';

/**
 * The running `sales webhook` nodes that own an inbox, by node id: how a settling node finds the store of the
 * delivery a message came from (msg.webhook.node), and how the delivery log finds the node that replays.
 * Node-RED clones messages, so a message carries ids, never the store itself.
 */
export interface InboxConsumer {
  nodeId: string;
  store: InboxStore;
  /** Claims and emits what is due now (a replay was requested), without waiting for the next poll. */
  poke(): void;
  /** One delivery of this node was marked for replay: announces it `received` and emits it now. */
  replayed(id: string): void;
  /** Records what a settling point made of (part of) a delivery, and announces its state. */
  settle(id: string, record: SettleRecord): Promise<DeliveryState | undefined>;
  /** Shows the leads a delivery made in the delivery log (written with its settlement when it comes soon). */
  noteLeads(id: string, leads: LeadSummary[]): void;
}

const consumers = new Map<string, InboxConsumer>();

export function registerInboxConsumer(consumer: InboxConsumer): () => void {
  consumers.set(consumer.nodeId, consumer);
  return () => {
    if (consumers.get(consumer.nodeId) === consumer) consumers.delete(consumer.nodeId);
  };
}

export function inboxConsumer(nodeId: string | undefined): InboxConsumer | undefined {
  return nodeId === undefined ? undefined : consumers.get(nodeId);
}

export function inboxConsumers(): InboxConsumer[] {
  return [...consumers.values()];
}
