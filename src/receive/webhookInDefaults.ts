import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_BYTES } from './endpoint';

/** What a new sales-webhook in starts with, and what an empty field means; the dialog reads these from the runtime. */
export const WEBHOOK_IN_DEFAULTS = {
  // Used by no platform's demo receiver or example (each takes /webhooks/<provider>); the dialog adds -2, -3, … when taken.
  url: '/webhooks/sales',
  maxBytes: DEFAULT_MAX_BYTES,
  /** Seconds a body may take after its first byte. */
  bodyTimeout: DEFAULT_BODY_TIMEOUT_MS / 1000,
  dedupeHours: 24,
  dedupeLimit: 50000,
  /** With the inbox on and a settling point downstream: minutes before an unsettled delivery is emitted again. */
  leaseMinutes: 5,
  /** Emissions of an unsettled delivery before it is marked failed. */
  maxAttempts: 5,
} as const;
