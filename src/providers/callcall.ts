import { z } from 'zod';
import { checkedArray } from './checkedArray';
import type { ProviderProfile } from './types';

const event = (type: string, data: z.ZodType) =>
  z.looseObject({
    id: z.string(),
    type: z.literal(type),
    created: z.union([z.string(), z.number()]),
    data,
    version: z.string().optional(),
  });
const customerId = z.string();

export const callcall: ProviderProfile = {
  id: 'callcall',
  label: 'CallCall.ai',
  description:
    'CallCall.ai sends customer-qualification, service-matching, message and analysis events. Paste its webhook ' +
    'secret. Each delivery carries x-callcall-signature (hex HMAC-SHA256, a sha256= prefix is tolerated) and ' +
    'x-callcall-timestamp, which must be within the tolerance. Its document does not spell out the signed string; ' +
    'we sign "<timestamp>.<raw body>", and the template below can be changed if CallCall.ai says otherwise.',
  verification: {
    kind: 'hmac',
    header: 'x-callcall-signature',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'sha256=',
    template: '{timestamp}.{body}',
    timestampHeader: 'x-callcall-timestamp',
  },
  fields: ['secret', 'previousSecret', 'tolerance', 'template'],
  envelope: { typePath: 'type', idPath: 'id', occurredAtPath: 'created' },
  events: {
    'customer.qualified': {
      description: 'A customer met the qualification criteria: score, qualification type and triggers.',
      schema: event(
        'customer.qualified',
        z.looseObject({
          customer_id: customerId,
          score: z.number(),
          qualification_type: z.string(),
          triggers: checkedArray(z.string()).optional(),
        }),
      ),
    },
    'service.matched': {
      description: 'Services were matched to a customer.',
      schema: event(
        'service.matched',
        z.looseObject({ customer_id: customerId, services: checkedArray(z.unknown()).optional() }),
      ),
    },
    'message.received': {
      description: 'A new message was received.',
      schema: event(
        'message.received',
        z.looseObject({ customer_id: customerId.optional(), message: z.unknown().optional() }),
      ),
    },
    'analysis.completed': {
      description: 'A business analysis is complete.',
      schema: event('analysis.completed', z.looseObject({ customer_id: customerId.optional() })),
    },
  },
  envelopeSchema: z.looseObject({ id: z.string(), type: z.string(), data: z.looseObject({}) }),
  leadPresets: {
    'customer.qualified': {
      label: 'CallCall.ai: a qualified customer with score and triggers',
      mappings: [
        { field: 'customerId', path: 'data.customer_id', type: 'string', required: true },
        { field: 'score', path: 'data.score', type: 'number', required: false },
        { field: 'qualificationType', path: 'data.qualification_type', type: 'string', required: false },
        { field: 'tags', path: 'data.triggers', type: 'array', required: false },
        { field: 'email', path: 'data.email', type: 'email', required: false },
        { field: 'phone', path: 'data.phone', type: 'phone', required: false },
        { field: 'fullName', path: 'data.name', type: 'string', required: false },
        { field: 'qualifiedAt', path: 'created', type: 'date', required: false },
      ],
    },
  },
};
