import { FILLABLE_BY, leadFieldTypes } from './crm/fieldFit';
import { HTTP_API_METHODS } from './crm/outConfig';
import { ACCOUNT_DEFAULTS, CRM_SYSTEMS, DEFAULT_API_VERSIONS, DEFAULT_BASE_URLS } from './crm/settings';
import { describeCrmSystems } from './crm/systems';
import { STANDARD_LEAD_FIELDS, leadSourceSchema } from './leadmap/lead';
import { MAPPING_TYPES } from './leadmap/types';
import { currentVersion, NODE_TYPES } from './migrations';
import { WEBHOOK_IN_DEFAULTS } from './receive/webhookInDefaults';
import { DEFAULT_TOLERANCE_SECONDS } from './receive/source';
import { HEADER_NAME_PATTERN } from './shared/headerName';

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
      /** Each CRM's label, batch size, quota and default field map, from its module. */
      systemFacts: describeCrmSystems(),
    },
    headerNamePattern: HEADER_NAME_PATTERN.source,
    // The CRM dialogs: what each lead field holds, which lead values can fill each kind of CRM field (the field map's
    // check), and the methods an HTTP API account's node may send with.
    crmDialogs: {
      leadFieldTypes: leadFieldTypes(),
      fillableBy: FILLABLE_BY,
      httpApiMethods: [...HTTP_API_METHODS],
    },
  };
}

export type EditorFacts = ReturnType<typeof editorFacts>;
