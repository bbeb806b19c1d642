import type { NodeMessage } from 'node-red';
import type { DeliveryState, SettleRecord } from '../inbox/types';
import { inboxConsumer } from '../delivery/registry';

/** The inbox fields of msg.webhook that settling needs. */
interface SettleableWebhook {
  deliveryId?: unknown;
  node?: unknown;
  part?: { index?: unknown; count?: unknown };
}

export type SettleOutcome = Omit<SettleRecord, 'part' | 'at'> & { at?: number };

/** Where a message's delivery lives, or undefined when it did not come from an inbox (inbox off, or not a webhook). */
export function deliveryOf(
  msg: NodeMessage,
): { id: string; node: string; part?: { index: number; count: number } } | undefined {
  const webhook = (msg as { webhook?: SettleableWebhook }).webhook;
  if (!webhook || typeof webhook.deliveryId !== 'string' || typeof webhook.node !== 'string') return undefined;
  const { index, count } = webhook.part ?? {};
  const part =
    Number.isInteger(index) && Number.isInteger(count) && (count as number) > 0
      ? { index: index as number, count: count as number }
      : undefined;
  return { id: webhook.deliveryId, node: webhook.node, part };
}

/**
 * Records what a settling point made of the message's delivery (or of its part, for a split delivery).
 * Resolves with the delivery's state afterwards; undefined when the message has no delivery or its node is gone.
 */
export async function settleFromMessage(msg: NodeMessage, outcome: SettleOutcome): Promise<DeliveryState | undefined> {
  const delivery = deliveryOf(msg);
  if (!delivery) return undefined;
  const consumer = inboxConsumer(delivery.node);
  if (!consumer) return undefined;
  return consumer.settle(delivery.id, {
    ...outcome,
    at: outcome.at ?? Date.now(),
    ...(delivery.part ? { part: delivery.part } : {}),
  });
}

/**
 * For settling points that pass the message on regardless (sales-crm out): settles in the background and warns
 * when the settlement could not be written (the delivery then stays unsettled and is emitted again).
 */
export function settleLead(node: { warn(text: string): void }, msg: NodeMessage, outcome: SettleOutcome): void {
  const lead = (msg as { payload?: { email?: unknown; fullName?: unknown } }).payload;
  const summary =
    lead && typeof lead === 'object'
      ? {
          ...(typeof lead.email === 'string' ? { email: lead.email } : {}),
          ...(typeof lead.fullName === 'string' ? { name: lead.fullName } : {}),
        }
      : {};
  settleFromMessage(msg, {
    ...outcome,
    ...(outcome.lead || !(summary.email || summary.name) ? {} : { lead: summary }),
  }).catch((err: Error) => node.warn(`could not record the delivery as ${outcome.state}: ${err.message}`));
}

/** msg.webhook.part of the index-th of `count` leads made from one delivery. */
export function partOf(index: number, count: number): { part: { index: number; count: number } } {
  return { part: { index, count } };
}

/** Shows the leads a delivery made in the delivery log (e-mail and name only). Never throws. */
export function noteLeadsOfDelivery(msg: NodeMessage, leads: { email?: string; fullName?: string }[]): void {
  const delivery = deliveryOf(msg);
  if (!delivery) return;
  const consumer = inboxConsumer(delivery.node);
  consumer?.noteLeads(
    delivery.id,
    leads.map((l) => ({ ...(l.email ? { email: l.email } : {}), ...(l.fullName ? { name: l.fullName } : {}) })),
  );
}
