import { DEFAULT_MAX_BYTES } from './endpoint';

/** What a new sales-webhook in starts with, and what an empty field means; the dialog reads these from the runtime. */
export const WEBHOOK_IN_DEFAULTS = {
  url: '/webhooks/saleassist',
  maxBytes: DEFAULT_MAX_BYTES,
  dedupeHours: 24,
  dedupeLimit: 50000,
} as const;
