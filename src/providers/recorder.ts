import { z } from 'zod';
import { checkedArray } from './checkedArray';
import type { LeadPreset } from '../leadmap/types';
import type { ProviderProfile } from './types';

// The document shows numeric ids; a string id is just as plausible from a JSON API, so both pass.
const id = z.union([z.number(), z.string()]);
const speaker = z.looseObject({ id: id.optional(), name: z.string().nullish(), email: z.string().nullish() });
const transcript = z.looseObject({ id, text: z.string().nullish(), speakers: checkedArray(speaker).optional() });
const recording = z.looseObject({
  id,
  title: z.string().nullish(),
  status: z.string().optional(),
  transcript: transcript.optional(),
});
const meeting = z.looseObject({ id, title: z.string().nullish(), participants: checkedArray(speaker).optional() });
const signal = z.looseObject({ id, type: z.string().optional(), recording_id: id.optional() });
const user = z.looseObject({ email: z.string(), name: z.string().nullish() });

const event = (type: string, data: z.ZodType) => z.looseObject({ event: z.literal(type), timestamp: z.string(), data });
// The document shows data only for these three events; for the others, the object their name implies is checked when
// present but not required, so an authentic delivery of an unshown shape is not sent to output 2.
const SHOWN_IN_DOCUMENT = new Set([
  'recording.created',
  'recording.processing.completed',
  'recording.transcript.ready',
]);
const about = (type: string, description: string, key: string, schema: z.ZodType) =>
  [
    type,
    {
      description,
      schema: event(type, z.looseObject({ [key]: SHOWN_IN_DOCUMENT.has(type) ? schema : schema.optional() })),
    },
  ] as const;

const speakersOf = (base: string, label: string): LeadPreset => ({
  label,
  splitPath: `${base}.speakers[*]`,
  mappings: [
    { field: 'fullName', path: `${base}.speakers[*].name`, type: 'string', required: true },
    { field: 'email', path: `${base}.speakers[*].email`, type: 'email', required: false },
    { field: 'speakerId', path: `${base}.speakers[*].id`, type: 'string', required: false },
    { field: 'transcriptId', path: `${base}.id`, type: 'string', required: false },
  ],
});

export const recorder: ProviderProfile = {
  id: 'recorder',
  label: 'Meeting recorder (X-Webhook-Signature)',
  description:
    'A meeting-recording platform that sends recording, meeting, transcript, signal and user events. Paste the webhook ' +
    'secret from its Settings → Webhooks page. Each delivery carries X-Webhook-Signature: sha256=<hex>, an HMAC-SHA256 ' +
    "of the body; because the platform's own example signs JSON.stringify of the parsed body, a signature over that " +
    'form is accepted too. It has no timestamp header, so there is no replay window; duplicates are recognised by ' +
    'their exact bytes. Its "Test Webhook" button sends a recording.created event.',
  verification: {
    kind: 'hmac',
    header: 'x-webhook-signature',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'sha256=',
    template: '{body}',
    acceptReserialized: true,
  },
  fields: ['secret', 'previousSecret'],
  envelope: { typePath: 'event', occurredAtPath: 'timestamp' },
  events: Object.fromEntries([
    about('recording.created', 'A new recording was uploaded.', 'recording', recording),
    about('recording.processing.started', 'Processing of a recording began.', 'recording', recording),
    about('recording.processing.completed', 'Processing of a recording finished.', 'recording', recording),
    about('recording.processing.failed', 'Processing of a recording failed.', 'recording', recording),
    about(
      'recording.transcript.ready',
      'The transcript of a recording is available, with its speakers.',
      'recording',
      recording.extend({ transcript }),
    ),
    about('recording.deleted', 'A recording was deleted.', 'recording', recording),
    about('meeting.created', 'A meeting was created.', 'meeting', meeting),
    about('meeting.updated', "A meeting's details were updated.", 'meeting', meeting),
    about('meeting.deleted', 'A meeting was deleted.', 'meeting', meeting),
    about('meeting.started', 'A meeting started.', 'meeting', meeting),
    about('meeting.ended', 'A meeting ended.', 'meeting', meeting),
    about('transcript.generated', 'A transcript was generated.', 'transcript', transcript),
    about('transcript.updated', 'A transcript was updated.', 'transcript', transcript),
    about('signal.detected', 'A new signal was detected.', 'signal', signal),
    about('signal.confirmed', 'A user confirmed a signal.', 'signal', signal),
    about('user.invited', 'A team member was invited.', 'user', user),
    about('user.joined', 'A team member joined the organisation.', 'user', user),
  ]),
  envelopeSchema: z.looseObject({ event: z.string(), timestamp: z.string().optional(), data: z.looseObject({}) }),
  leadPresets: {
    'recording.transcript.ready': speakersOf('data.recording.transcript', 'Recorder: one lead per transcript speaker'),
    'transcript.generated': speakersOf('data.transcript', 'Recorder: one lead per transcript speaker'),
    'transcript.updated': speakersOf('data.transcript', 'Recorder: one lead per transcript speaker'),
    'meeting.ended': {
      label: 'Recorder: one lead per meeting participant',
      splitPath: 'data.meeting.participants[*]',
      mappings: [
        { field: 'fullName', path: 'data.meeting.participants[*].name', type: 'string', required: true },
        { field: 'email', path: 'data.meeting.participants[*].email', type: 'email', required: false },
        { field: 'meetingId', path: 'data.meeting.id', type: 'string', required: false },
        { field: 'meetingTitle', path: 'data.meeting.title', type: 'string', required: false },
      ],
    },
  },
};
