import { ACCOUNT_DEFAULTS, CRM_SYSTEMS, DEFAULT_BASE_URLS } from './crm/settings';
import { STANDARD_LEAD_FIELDS, leadSourceSchema } from './leadmap/lead';
import { MAPPING_TYPES } from './leadmap/types';
import { currentVersion, NODE_TYPES } from './migrations';
import { WEBHOOK_IN_DEFAULTS } from './receive/webhookInDefaults';
import { DEFAULT_TOLERANCE_SECONDS } from './receive/source';
import { HEADER_NAME_PATTERN } from './shared/headerName';
import { DELIVERY_STATES } from './inbox/types';

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
      accountDefaults: { ...ACCOUNT_DEFAULTS },
    },
    headerNamePattern: HEADER_NAME_PATTERN.source,
    /** The delivery log's states, in the order its filter lists them. */
    deliveryStates: [...DELIVERY_STATES],
  };
}

export type EditorFacts = ReturnType<typeof editorFacts>;
