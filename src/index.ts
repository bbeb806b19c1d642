/**
 * The package without Node-RED: verify a delivery, map an event to a lead, upsert the lead into a CRM.
 * `require('node-red-contrib-sales-webhooks')`; the Node-RED nodes are loaded by Node-RED from package.json.
 */
export * from './verify/types';
export * from './providers/types';
export * from './leadmap/types';
export * from './receive/types';

// Verification: createVerifier(options).verify(delivery) throws WebhookVerificationError; signDelivery for senders.
export { createVerifier, authenticationHeaders, signDelivery } from './verify';
export { buildVerifierOptions, type SourceConfig, type SourceCredentials } from './receive/source';
export {
  getProvider,
  listProviders,
  describeProviders,
  listLeadPresets,
  getLeadPreset,
  type NamedLeadPreset,
} from './providers/registry';
export { readEnvelope, validateEvent } from './providers/envelope';

// Mapping: compileMapping(rows) once, mapEvent(compiled, event) per event.
export {
  compileMapping,
  mapEvent,
  leadSourceFrom,
  listPaths,
  toJsonPath,
  MappingConfigError,
  type CompiledMapping,
  type FieldFailure,
  type MapResult,
} from './leadmap/engine';
export { leadSchema, STANDARD_LEAD_FIELDS, type Lead, type LeadSource } from './leadmap/lead';
export { effectiveMapping, type LeadMapConfig, type EffectiveMapping } from './leadmap/config';

// CRM: accountSettings(settings, credentials), new CrmHttp(settings, credentials), then upsertLead(http, settings, lead, options).
// One module per CRM: getCrmSystem(id) gives its version, endpoints, batch size, quota and field listing.
export {
  accountSettings,
  upsertLead,
  CrmHttp,
  CrmError,
  CrmConfigError,
  DEFAULT_FIELD_MAPS,
  buildFields,
  getCrmSystem,
  listCrmSystems,
  describeCrmSystems,
  previewLeadRequests,
  listCrmFields,
} from './crm';
export type {
  AccountSettings,
  AccountCredentials,
  CrmSystem,
  CrmSystemId,
  CrmField,
  FieldMapRow,
  UpsertOptions,
  UpsertResult,
} from './crm';

// Saved node configurations.
export { migrate, currentVersion, MIGRATIONS, type MigrationStep, type NodeTypeName } from './migrations';
