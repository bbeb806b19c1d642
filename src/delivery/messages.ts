import type { RejectedDelivery, WebhookMeta } from '../receive/types';
import type { Emission } from './lifecycle';

/** msg.webhook on an emitted delivery: the inbox adds where it is kept and which emission this is. */
export interface EmittedWebhookMeta extends WebhookMeta {
  deliveryId: string;
  attempt: number;
  replay: boolean;
  /** The receiving node's id: settling points find the delivery's store through it. */
  node: string;
}

export interface EmittedMessage {
  _msgid: string;
  payload: unknown;
  topic: string | undefined;
  webhook: EmittedWebhookMeta;
}

/**
 * The node's two outputs for an emission: output 1 carries the event; output 2 an authentic delivery that failed its
 * event schema, as a rejection naming the issues (`schemaReason` says why, in the user's language).
 */
export function emissionMessages(
  emission: Emission,
  node: string,
  msgid: string,
  schemaReason: (eventType: string | undefined) => string,
): [EmittedMessage | null, EmittedMessage | null] {
  const { meta, issues, payload } = emission;
  const webhook: EmittedWebhookMeta = {
    ...meta,
    deliveryId: emission.id,
    attempt: emission.attempt,
    replay: emission.replay,
    node,
  };
  if (issues.length === 0) return [{ _msgid: msgid, payload, topic: meta.eventType, webhook }, null];
  const rejection: RejectedDelivery & { event: unknown } = {
    statusCode: 200,
    reason: schemaReason(meta.eventType),
    provider: meta.provider,
    headers: meta.headers,
    receivedAt: meta.receivedAt,
    issues,
    event: payload,
  };
  return [null, { _msgid: msgid, payload: rejection, topic: meta.eventType, webhook }];
}
