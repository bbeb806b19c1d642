import { z } from 'zod';
import type { ProviderProfile } from './types';

const text = z.string().nullish();

export const saleassist: ProviderProfile = {
  id: 'saleassist',
  label: 'SaleAssist',
  description:
    "SaleAssist sends widget conversations (video calls, chats, scheduled meetings) with the visitor's details under " +
    'payload.people_detail. It signs nothing: in its dashboard (Settings → API → Webhooks) add a custom header, for ' +
    'example x-webhook-token, with a long random value, and paste the same value here as the token. Its events carry ' +
    'no delivery id, so retries are recognised by their exact bytes. It sends content-type application/json; charset=UTF-8.',
  verification: { kind: 'header-token', headerName: 'x-webhook-token' },
  fields: ['token', 'headerName'],
  envelope: { typePath: 'event_type', occurredAtPath: 'payload.created_on' },
  events: {
    widget_new_conversation: {
      description: 'A visitor started a conversation in a SaleAssist widget; the lead is in payload.people_detail.',
      schema: z.looseObject({
        event_type: z.literal('widget_new_conversation'),
        payload: z.looseObject({
          id: z.string(),
          message_type: z.string().optional(),
          people_id: z.string().optional(),
          meeting_id: text,
          source_name: text,
          created_on: z.number().optional(),
          people_detail: z.looseObject({
            email: z.string(),
            name: text,
            mobile_number: text,
            address: text,
            pincode: text,
          }),
        }),
        metadata: z.looseObject({}).optional(),
      }),
    },
  },
  envelopeSchema: z.looseObject({
    event_type: z.string(),
    payload: z.looseObject({}),
    metadata: z.looseObject({}).optional(),
  }),
  leadPresets: {
    widget_new_conversation: {
      label: 'SaleAssist: the visitor of a new widget conversation',
      mappings: [
        { field: 'email', path: 'payload.people_detail.email', type: 'email', required: true },
        { field: 'phone', path: 'payload.people_detail.mobile_number', type: 'phone', required: false },
        { field: 'fullName', path: 'payload.people_detail.name', type: 'string', required: false },
        { field: 'address', path: 'payload.people_detail.address', type: 'string', required: false },
        { field: 'postalCode', path: 'payload.people_detail.pincode', type: 'string', required: false },
        { field: 'city', path: 'payload.people_detail.widget_city', type: 'string', required: false },
        { field: 'state', path: 'payload.people_detail.widget_state', type: 'string', required: false },
        { field: 'country', path: 'payload.people_detail.widget_country', type: 'string', required: false },
        { field: 'productCategory', path: 'payload.people_detail.product_category', type: 'string', required: false },
        { field: 'utmCampaign', path: 'payload.people_detail.utm_campaign', type: 'string', required: false },
        { field: 'sourceName', path: 'payload.source_name', type: 'string', required: false },
        { field: 'meetingUrl', path: 'payload.meeting_url', type: 'string', required: false },
        { field: 'conversationAt', path: 'payload.created_on', type: 'date', required: false },
      ],
    },
  },
};
