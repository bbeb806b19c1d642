import { z } from 'zod';
import { checkedArray } from './checkedArray';
import type { ProviderProfile } from './types';

const userSchema = z.looseObject({
  id: z.string(),
  email: z.string().optional(),
  name: z.string().nullish(),
  orgId: z.string().nullish(),
  createdAt: z.string().optional(),
});
const orgSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  status: z.string().nullish(),
  createdAt: z.string().optional(),
});
const callSchema = z.looseObject({
  id: z.string(),
  orgId: z.string().optional(),
  title: z.string().nullish(),
  createdAt: z.string().optional(),
  userId: z.string().optional(),
  prospectIds: checkedArray(z.string()).optional(),
  prospects: checkedArray(
    z.looseObject({ id: z.string(), name: z.string().nullish(), details: z.looseObject({}).nullish() }),
  ),
  analysis: checkedArray(z.looseObject({ score: z.number().nullish(), summary: z.string().nullish() })).optional(),
  transcript: checkedArray(
    z.looseObject({ speakerName: z.string().nullish(), prospectText: z.string().nullish() }),
  ).optional(),
  stats: z.looseObject({ duration: z.number().nullish() }).optional(),
  user: userSchema.optional(),
});

// Svix's envelope: the documented examples show "type": "string" as a placeholder; real deliveries carry the event name.
const event = (type: string, payload: z.ZodType) =>
  z.looseObject({ id: z.string(), type: z.literal(type), timestamp: z.string(), payload });

export const salesmagic: ProviderProfile = {
  id: 'salesmagic',
  label: 'SalesMagic (Svix)',
  description:
    "SalesMagic sends call, organisation and user events through Svix. Paste the endpoint's signing secret (whsec_…) " +
    'from the Svix portal; during a rotation, keep the old one as the previous secret until Svix stops using it. Every ' +
    'delivery is signed (svix-id, svix-timestamp, svix-signature) and must arrive within the tolerance; Svix retries a ' +
    'failed delivery for more than a day with the same svix-id, so retries are recognised and acknowledged once.',
  verification: { kind: 'standard-webhooks' },
  fields: ['secret', 'previousSecret', 'tolerance'],
  envelope: { typePath: 'type', idPath: 'id', occurredAtPath: 'timestamp' },
  events: {
    'call.completed': {
      description: 'A call finished: prospects, transcript, analysis and the user who made it.',
      schema: event('call.completed', z.looseObject({ call: callSchema })),
    },
    'org.deleted': {
      description: 'An organisation was deleted.',
      schema: event('org.deleted', z.looseObject({ org: orgSchema })),
    },
    'org.updated': {
      description: 'An organisation was updated.',
      schema: event('org.updated', z.looseObject({ org: orgSchema })),
    },
    'user.created': {
      description: 'A user was created.',
      schema: event('user.created', z.looseObject({ user: userSchema })),
    },
    'user.deleted': {
      description: 'A user was deleted.',
      schema: event('user.deleted', z.looseObject({ user: userSchema })),
    },
    'user.updated': {
      description: 'A user was updated.',
      schema: event('user.updated', z.looseObject({ user: userSchema })),
    },
  },
  envelopeSchema: z.looseObject({
    id: z.string(),
    type: z.string(),
    timestamp: z.string().optional(),
    payload: z.looseObject({}),
  }),
  leadPresets: {
    'call.completed': {
      label: 'SalesMagic: one lead per call prospect, the caller as owner',
      splitPath: 'payload.call.prospects[*]',
      mappings: [
        { field: 'fullName', path: 'payload.call.prospects[*].name', type: 'string', required: true },
        { field: 'company', path: 'payload.call.prospects[*].details.companyName', type: 'string', required: false },
        { field: 'jobTitle', path: 'payload.call.prospects[*].details.jobTitle', type: 'string', required: false },
        { field: 'prospectId', path: 'payload.call.prospects[*].id', type: 'string', required: true },
        { field: 'industry', path: 'payload.call.prospects[*].details.industry', type: 'string', required: false },
        { field: 'painPoints', path: 'payload.call.prospects[*].details.painPoints', type: 'string', required: false },
        { field: 'owner', path: 'payload.call.user.name', type: 'string', required: false },
        { field: 'ownerEmail', path: 'payload.call.user.email', type: 'email', required: false },
        { field: 'callId', path: 'payload.call.id', type: 'string', required: false },
        { field: 'callTitle', path: 'payload.call.title', type: 'string', required: false },
        { field: 'score', path: 'payload.call.analysis[0].score', type: 'number', required: false },
        { field: 'callSummary', path: 'payload.call.analysis[0].summary', type: 'string', required: false },
      ],
    },
  },
};
