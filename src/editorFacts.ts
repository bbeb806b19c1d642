import { FILLABLE_BY, leadFieldTypes } from './crm/fieldFit';
import { DEFAULT_EXTERNAL_ID_FIELD, HTTP_API_METHODS } from './crm/outConfig';
import {
  ACCOUNT_CREDENTIALS,
  ACCOUNT_DEFAULTS,
  CRM_SYSTEMS,
  DEFAULT_API_VERSIONS,
  DEFAULT_BASE_URLS,
} from './crm/settings';
import { describeCrmSystems } from './crm/systems';
import { STANDARD_LEAD_FIELDS, leadSourceSchema } from './leadmap/lead';
import { DEFAULT_MAPPING_TYPE, MAPPING_TYPES } from './leadmap/types';
import { currentVersion, NODE_TYPES } from './migrations';
import { WEBHOOK_IN_DEFAULTS } from './receive/webhookInDefaults';
import { DEFAULT_TOLERANCE_SECONDS } from './receive/source';
import { ACCEPTED_ANSWERS } from './receive/endpoint';
import { HEADER_NAME_PATTERN } from './shared/headerName';
// editor-traps: the lead map's, the source's, the Redis store's and the delivery log's constants.
import { DEFAULT_PREFIX as REDIS_DEFAULT_PREFIX } from './inbox/redis';
import {
  DEFAULT_STATS_PERIOD,
  DELIVERY_STATES,
  STATS_OUTCOMES,
  STATS_PERIODS,
  SETTLED_STATES,
  type DeliveryState,
} from './inbox/types';
import { CUSTOM_PRESET, NEW_LEAD_MAP } from './leadmap/config';
import { FIELD_NAME } from './leadmap/engine';
import { DEFAULT_LIST_LIMIT, DEFAULT_REPLAY_STATE, MAX_LIST_LIMIT } from './log/filter';
import { DELIVERY_LOG_TOPIC } from './delivery/announce';
import { ALERT_DEFAULTS } from './alerts/monitor';
import { CRM_HEALTH_ROUTE, type CrmHealthState } from './crm/health';
import { ALERT_KINDS } from './alerts/problems';
import { KEEP_PROBLEMS_IN } from './alerts/storage';
import { ALERTS_REPLAY_ROUTE, ALERTS_ROUTE, ALERTS_TOPIC } from './alerts/signals';
import { SOURCE_FIELDS } from './providers/types';
import { HMAC_ALGORITHMS, HMAC_ENCODINGS, HMAC_TEMPLATE_BODY } from './verify/hmac';

/** The delivery log's badge colour per state: a new state fails the build until it has one (labels are in the locale). */
const DELIVERY_STATE_COLOURS: Record<DeliveryState, string> = {
  received: '#7f8c8d',
  emitted: '#2980b9',
  delivered: '#27ae60',
  handled: '#16a085',
  failed: '#c0392b',
  rejected: '#d35400',
};
/** A CRM account's health as a dot: green, yellow, red, grey (the failing red is the failed state's). */
const CRM_HEALTH_COLOURS: Record<CrmHealthState, string> = {
  ok: DELIVERY_STATE_COLOURS.delivered,
  retrying: '#f1c40f',
  failing: DELIVERY_STATE_COLOURS.failed,
  idle: DELIVERY_STATE_COLOURS.received,
};
/** The provider a new source starts with (the one the default webhook path and the demo use). */
const DEFAULT_SOURCE_PROVIDER = 'saleassist';

/**
 * The runtime's constants the dialogs need, in one object. scripts/build.js writes it into
 * resources/sales-webhooks-editor.js (window.SalesWebhooksEditor.facts), so no dialog retypes a list or a default.
 */
export function editorFacts() {
  return {
    versions: Object.fromEntries(NODE_TYPES.map((type) => [type, currentVersion(type)])),
    mappingTypes: [...MAPPING_TYPES],
    standardLeadFields: [...STANDARD_LEAD_FIELDS],
    /** Dotted paths a CRM field map can read besides the standard fields. */
    leadSourceFields: Object.keys(leadSourceSchema.shape).map((key) => `source.${key}`),
    webhookIn: { ...WEBHOOK_IN_DEFAULTS },
    source: { toleranceSeconds: DEFAULT_TOLERANCE_SECONDS },
    crm: {
      systems: [...CRM_SYSTEMS],
      defaultBaseUrls: { ...DEFAULT_BASE_URLS },
      /** Each CRM's current API version ('' where it is fixed): the dialog's placeholder for an empty API version. */
      defaultApiVersions: { ...DEFAULT_API_VERSIONS },
      accountDefaults: { ...ACCOUNT_DEFAULTS },
      /** The account's credential fields and their types (secrets are passwords). */
      accountCredentials: ACCOUNT_CREDENTIALS,
      /** Each CRM's label, batch size, quota and default field map, from its module. */
      systemFacts: describeCrmSystems(),
    },
    headerNamePattern: HEADER_NAME_PATTERN.source,
    // editor-traps: the lead map's, the source's, the Redis store's and the delivery log's constants.
    leadMap: {
      fieldNamePattern: FIELD_NAME.source,
      customPreset: CUSTOM_PRESET,
      newRowType: DEFAULT_MAPPING_TYPE,
      newNode: { property: NEW_LEAD_MAP.property, mappings: NEW_LEAD_MAP.mappings.map((row) => ({ ...row })) },
    },
    sourceDialog: {
      defaultProvider: DEFAULT_SOURCE_PROVIDER,
      fields: [...SOURCE_FIELDS],
      templateMustContain: HMAC_TEMPLATE_BODY,
      algorithms: [...HMAC_ALGORITHMS],
      encodings: [...HMAC_ENCODINGS],
    },
    redis: { prefix: REDIS_DEFAULT_PREFIX },
    deliveryLog: {
      states: [...DELIVERY_STATES],
      stateColours: { ...DELIVERY_STATE_COLOURS },
      topic: DELIVERY_LOG_TOPIC,
      replayDefaultState: DEFAULT_REPLAY_STATE,
      listLimit: Math.min(2 * DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT),
      statsPeriods: Object.keys(STATS_PERIODS),
      defaultStatsPeriod: DEFAULT_STATS_PERIOD,
      statsOutcomes: STATS_OUTCOMES,
      acceptedAnswers: { ...ACCEPTED_ANSWERS },
      settledStates: [...SETTLED_STATES],
      crmHealth: { route: CRM_HEALTH_ROUTE, colours: { ...CRM_HEALTH_COLOURS } },
    },
    // The CRM dialogs: what each lead field holds, which lead values can fill each kind of CRM field (the field map's
    // check), and the methods an HTTP API account's node may send with.
    crmDialogs: {
      leadFieldTypes: leadFieldTypes(),
      fillableBy: FILLABLE_BY,
      httpApiMethods: [...HTTP_API_METHODS],
      defaultExternalIdField: DEFAULT_EXTERNAL_ID_FIELD,
      /** The type of a lead field whose type is not known (a custom path). */
      anyLeadType: 'any',
    },
    alerts: {
      kinds: [...ALERT_KINDS],
      defaults: { ...ALERT_DEFAULTS },
      topic: ALERTS_TOPIC,
      route: ALERTS_ROUTE,
      replayRoute: ALERTS_REPLAY_ROUTE,
      /** "Keep open problems in": the choices, the automatic one, and the one that names a Redis node. */
      keepIn: { choices: [...KEEP_PROBLEMS_IN], automatic: KEEP_PROBLEMS_IN[0], named: KEEP_PROBLEMS_IN[2] },
    },
  };
}

export type EditorFacts = ReturnType<typeof editorFacts>;
