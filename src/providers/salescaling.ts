import { z } from 'zod';
import { checkedArray } from './checkedArray';
import type { ProviderProfile } from './types';

const MEETING_STATUSES = [
  'meeting_created',
  'meeting_deleted',
  'meeting_transcript_done',
  'meeting_summary_done',
  'meeting_video_done',
  'meeting_notes_done',
] as const;
const NOTE_STATUSES = ['meeting_note_created', 'meeting_note_deleted', 'meeting_note_updated'] as const;
export const SALESCALING_SIGNAL_CODES = [
  // Engagement & intent
  'buying_intent',
  'interest_in_trial',
  'opportunity_qualified',
  'champion_detected',
  'gatekeeper_detected',
  'future_meeting_scheduled',
  'decision_timeline_mentioned',
  'follow_up_required',
  'follow_up_deadline_mentioned',
  'multi_department_involvement',
  // Pricing, budget & negotiation
  'pricing_discussed',
  'budget_blocker',
  'budget_discussed',
  'discount_requested',
  'contractual_concerns',
  'legal_process_discussed',
  'renewal_discussed',
  'upsell_opportunity',
  'pilot_success',
  'pilot_failure',
  // Fit & product
  'product_fit_confirmed',
  'usage_feedback_positive',
  'usage_feedback_negative',
  'technical_validation_passed',
  'technical_blocker',
  'integration_concerns',
  'training_requested',
  'feature_request_made',
  'security_concerns',
  'compliance_concern',
  // Competition
  'competitor_mentioned',
  'competitor_comparison_favorable',
  'competitor_comparison_unfavorable',
  // Risk & churn
  'churn_risk',
  'no_decision_maker',
  'internal_disalignment',
  'resistance_to_change',
  'escalation_detected',
  'low_engagement',
  'deadline_blocker',
  // Relationship & communication
  'positive_feedback_on_demo',
  'negative_feedback_on_demo',
  'rapport_detected',
  'misalignment_on_goals',
  'client_asks_many_questions',
  'client_confused_about_offering',
  'tone_aggressive',
  'tone_passive',
  'speaker_dominates_conversation',
  'client_drives_conversation',
] as const;

const envelope = <T extends z.ZodType>(type: string, payload: T) => z.looseObject({ type: z.literal(type), payload });

export const salescaling: ProviderProfile = {
  id: 'salescaling',
  label: 'Salescaling',
  description:
    'Salescaling sends meeting, note and commercial-signal events. It has no signature yet ("coming soon"), so in ' +
    'Salescaling add a custom header (for example x-webhook-token) with a long random value and paste the same value ' +
    'here as the token. Its events carry no id: a retry (up to 3, 10-second timeout, 1 MB maximum) is recognised by ' +
    'its exact bytes. A signal code the document does not list is reported on output 2 rather than passed on silently.',
  verification: { kind: 'header-token', headerName: 'x-webhook-token' },
  fields: ['token', 'headerName'],
  envelope: { typePath: 'type' },
  events: {
    meeting_status_changed: {
      description: 'A meeting was created or deleted, or its transcript, summary, video or notes are done.',
      schema: envelope(
        'meeting_status_changed',
        z.looseObject({ meetingId: z.string(), status: z.enum(MEETING_STATUSES) }),
      ),
    },
    meeting_note_status_changed: {
      description: 'A note of a meeting was created, updated or deleted (one event per note).',
      schema: envelope(
        'meeting_note_status_changed',
        z.looseObject({ meetingNoteId: z.string(), status: z.enum(NOTE_STATUSES) }),
      ),
    },
    commercial_signal_detected: {
      description:
        'A commercial signal (buying intent, pricing, churn risk, …) was detected in a meeting, call or email.',
      schema: envelope(
        'commercial_signal_detected',
        z.looseObject({
          code: z.enum(SALESCALING_SIGNAL_CODES),
          description: z.string().optional(),
          contactId: z.string().nullish(),
          companyId: z.string().nullish(),
          category: z.enum(['positive', 'risk', 'neutral']).optional(),
          activityType: z.enum(['meeting', 'call', 'mail']),
          activityId: z.string(),
          evidence: checkedArray(z.string()).optional(),
          changeType: z.enum(['new', 'unchanged', 'escalated', 'improved', 'recovered']).optional(),
        }),
      ),
    },
  },
  envelopeSchema: z.looseObject({ type: z.string(), payload: z.looseObject({}) }),
  leadPresets: {
    commercial_signal_detected: {
      label: 'Salescaling: commercial signal → contact and company',
      mappings: [
        { field: 'contactId', path: 'payload.contactId', type: 'string', required: true },
        { field: 'companyId', path: 'payload.companyId', type: 'string', required: false },
        { field: 'signalCode', path: 'payload.code', type: 'string', required: true },
        { field: 'signalCategory', path: 'payload.category', type: 'string', required: false },
        { field: 'signalDescription', path: 'payload.description', type: 'string', required: false },
        { field: 'signalChange', path: 'payload.changeType', type: 'string', required: false },
        { field: 'activityType', path: 'payload.activityType', type: 'string', required: false },
        { field: 'activityId', path: 'payload.activityId', type: 'string', required: false },
        { field: 'evidence', path: 'payload.evidence', type: 'array', required: false },
        { field: 'tags', path: 'payload.code', type: 'array', required: false },
      ],
    },
  },
};
