import { z } from 'zod';
import type { ProviderProfile } from './types';

// Generic schemes know no event list: every object flows, with known = false.
const anyObject = z.looseObject({});
const generic = (profile: Omit<ProviderProfile, 'events' | 'envelopeSchema' | 'leadPresets'>): ProviderProfile => ({
  ...profile,
  events: {},
  envelopeSchema: anyObject,
  leadPresets: {},
});

export const standardWebhooks = generic({
  id: 'standard-webhooks',
  label: 'Any Standard Webhooks / Svix sender',
  description:
    'Any sender that follows Standard Webhooks or Svix: webhook-* or svix-* headers, a whsec_… secret, a signed timestamp within the tolerance. The event type is read from the body\'s "type".',
  verification: { kind: 'standard-webhooks' },
  fields: ['secret', 'previousSecret', 'tolerance'],
  envelope: { typePath: 'type' },
});

export const stripe = generic({
  id: 'stripe',
  label: 'Stripe-style signature',
  description:
    'Stripe and senders that copy its scheme: Stripe-Signature: t=…,v1=…, an HMAC-SHA256 of "<t>.<body>" keyed by the whole whsec_… secret; the timestamp must be within the tolerance.',
  verification: { kind: 'stripe' },
  fields: ['secret', 'previousSecret', 'tolerance'],
  envelope: { typePath: 'type', idPath: 'id', occurredAtPath: 'created' },
});

export const github = generic({
  id: 'github',
  label: 'GitHub-style signature',
  description:
    'GitHub and senders that copy its scheme: X-Hub-Signature-256: sha256=<hex HMAC of the raw body>. The event type comes from X-GitHub-Event and the delivery id from X-GitHub-Delivery.',
  verification: {
    kind: 'hmac',
    header: 'x-hub-signature-256',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'sha256=',
    requirePrefix: true,
    template: '{body}',
  },
  fields: ['secret', 'previousSecret'],
  envelope: { typeHeader: 'x-github-event', idHeader: 'x-github-delivery' },
});

export const genericHmac = generic({
  id: 'hmac',
  label: 'Generic HMAC header',
  description:
    'Any sender that puts an HMAC of the request in a header. Name the header, the algorithm, hex or base64, an optional prefix such as sha256=, and what is signed: {body}, optionally with {timestamp} and {id} taken from the headers you name.',
  verification: {
    kind: 'hmac',
    header: 'x-signature',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: '',
    template: '{body}',
  },
  fields: [
    'secret',
    'previousSecret',
    'signatureHeader',
    'algorithm',
    'encoding',
    'prefix',
    'template',
    'timestampHeader',
    'idHeader',
    'tolerance',
  ],
  envelope: { typePath: 'type' },
});

export const headerToken = generic({
  id: 'header-token',
  label: 'Shared header token',
  description:
    'Any sender that can add a custom header: choose its name, give it a long random value in the sender, and paste the same value here. Compared in constant time.',
  verification: { kind: 'header-token', headerName: 'x-webhook-token' },
  fields: ['token', 'headerName'],
  envelope: { typePath: 'type' },
});

export const none = generic({
  id: 'none',
  label: 'None (not verified)',
  description:
    'Nothing is verified: anyone who knows the URL can post. Only for trying things out; the node shows a yellow status while it is used.',
  verification: { kind: 'none' },
  fields: [],
  envelope: { typePath: 'type' },
});
