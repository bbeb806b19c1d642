/** `msg.webhook` on every message `sales-webhook in` emits. */
export interface WebhookMeta {
  provider: string;
  eventType: string | undefined;
  eventId: string | undefined;
  occurredAt: string | undefined;
  /** ISO 8601. */
  receivedAt: string;
  verified: boolean;
  /** False for an event type the provider's document does not list. */
  known: boolean;
  /** Lower-cased names; authentication headers redacted. */
  headers: Record<string, string>;
}

/** `msg.payload` on output 2 for a rejected or invalid delivery. */
export interface RejectedDelivery {
  statusCode: number;
  reason: string;
  provider: string;
  headers: Record<string, string>;
  receivedAt: string;
  /** Schema issues in plain words, for an authentic delivery that fails its event schema. */
  issues?: string[];
}
