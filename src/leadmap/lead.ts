import { z } from 'zod';

/** The lead fields every CRM knows; any other mapped field lands in `custom`. */
export const STANDARD_LEAD_FIELDS = [
  'email',
  'phone',
  'fullName',
  'firstName',
  'lastName',
  'company',
  'jobTitle',
  'address',
  'city',
  'state',
  'postalCode',
  'country',
  'score',
  'tags',
] as const;
export type StandardLeadField = (typeof STANDARD_LEAD_FIELDS)[number];

/** Tags a lead may carry: far more than any CRM takes. */
export const MAX_TAGS = 1000;

export const leadSourceSchema = z.object({
  provider: z.string().optional(),
  eventType: z.string().optional(),
  eventId: z.string().optional(),
  /** ISO 8601. */
  receivedAt: z.string().optional(),
});

/** `msg.payload` on output 1 of `sales-lead-map` and the input of `sales-crm out`. */
export const leadSchema = z.object({
  /** Trimmed, lower-cased, valid. */
  email: z.email().optional(),
  /** E.164 where it could be parsed, otherwise as sent (trimmed). */
  phone: z.string().optional(),
  fullName: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  company: z.string().optional(),
  jobTitle: z.string().optional(),
  address: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
  score: z.number().optional(),
  // A longer list is refused before its elements are read: 500,000 wrong ones took zod 2 s.
  tags: z.array(z.string()).max(MAX_TAGS).optional(),
  source: leadSourceSchema,
  /** Every mapped field that is not a standard one, by the name the user gave it. */
  custom: z.record(z.string(), z.unknown()),
});

export type Lead = z.infer<typeof leadSchema>;
export type LeadSource = z.infer<typeof leadSourceSchema>;
