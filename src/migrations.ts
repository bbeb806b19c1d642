/**
 * How a saved node's configuration evolves: per node type, an ordered list of steps, each bringing a configuration
 * up to its `version`. The runtime applies them in every node constructor, and the editor applies the same steps when
 * a dialog opens (scripts/build.js serves this compiled file to the editor as resources/sales-webhooks-editor.js),
 * so this module imports nothing at run time: it must run unchanged in the browser.
 */

export type StoredConfig = Record<string, unknown>;

export interface MigrationStep {
  version: number;
  /** What changed, in one line; the tests name each step by it. */
  change: string;
  up(config: StoredConfig): StoredConfig;
}

export const NODE_TYPES = [
  'sales-webhook-source',
  'sales-webhook in',
  'sales-webhook settle',
  'sales-webhook-redis',
  'sales-lead-map',
  'sales-crm-account',
  'sales-crm out',
  'sales-webhook alert',
] as const;
export type NodeTypeName = (typeof NODE_TYPES)[number];

const rowsOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export const MIGRATIONS: Record<NodeTypeName, readonly MigrationStep[]> = {
  'sales-webhook-source': [
    { version: 1, change: 'the version property is introduced; the stored shape is unchanged', up: (config) => config },
  ],
  'sales-webhook in': [
    { version: 1, change: 'the version property is introduced; the stored shape is unchanged', up: (config) => config },
    {
      version: 2,
      change:
        'the durable inbox: on, settled within 5 minutes, 5 attempts (a flow saved before it gets it like a new node)',
      up: (config) => ({
        ...config,
        inbox: config.inbox ?? true,
        leaseMinutes: config.leaseMinutes ?? 5,
        maxAttempts: config.maxAttempts ?? 5,
      }),
    },
  ],
  'sales-webhook settle': [{ version: 1, change: 'the node is introduced with a version', up: (config) => config }],
  'sales-webhook-redis': [{ version: 1, change: 'the node is introduced with a version', up: (config) => config }],
  'sales-webhook alert': [
    { version: 1, change: 'the node is introduced with a version', up: (config) => config },
    {
      version: 2,
      change:
        '"Keep open problems in" arrives: automatic (where the watched nodes\' inbox is); a missing scope is "all"',
      up: (config) => ({
        ...config,
        scope: config.scope ?? 'all',
        keepIn: config.keepIn ?? 'watched',
        problemStore: config.problemStore ?? '',
      }),
    },
  ],
  'sales-lead-map': [
    {
      version: 1,
      change: 'rows get a type, required and default; splitPath, property and preset get their defaults',
      up: (config) => ({
        ...config,
        splitPath: config.splitPath ?? '',
        property: config.property || 'payload',
        preset: config.preset || 'custom',
        mappings: rowsOf(config.mappings).map((raw) => {
          const row = (raw && typeof raw === 'object' ? raw : {}) as StoredConfig;
          return { ...row, type: row.type || 'string', required: Boolean(row.required), default: row.default ?? '' };
        }),
      }),
    },
  ],
  'sales-crm-account': [
    { version: 1, change: 'the version property is introduced; the stored shape is unchanged', up: (config) => config },
    {
      version: 2,
      change:
        'the sign-in method `auth` is introduced: a pasted token before, so `token` (Zoho accounts only ever had a refresh token)',
      up: (config) => ({ ...config, auth: config.auth || (config.system === 'zoho' ? 'refresh-token' : 'token') }),
    },
    {
      version: 3,
      change:
        "the API version follows each CRM's current one when empty: the old dialog's default v60.0 (and any Salesforce-style version on another CRM) becomes empty; batchWindow 250 ms and rateLimit 0 (the CRM's documented limit) are added",
      up: (config) => {
        const stored = String(config.apiVersion ?? '').trim();
        const salesforceStyle = /^v\d+\.\d+$/.test(stored);
        const keep = config.system === 'salesforce' ? stored !== 'v60.0' : !salesforceStyle;
        return {
          ...config,
          apiVersion: keep ? stored : '',
          batchWindow: config.batchWindow ?? 250,
          rateLimit: config.rateLimit ?? 0,
        };
      },
    },
  ],
  'sales-crm out': [
    {
      version: 1,
      change:
        'the field map, an object { crmField: leadField } before, becomes ordered rows; method, externalIdField and url get their defaults',
      up: (config) => {
        const stored = config.fieldMap;
        const fieldMap = Array.isArray(stored)
          ? stored
          : stored && typeof stored === 'object'
            ? Object.entries(stored as Record<string, unknown>).map(([crmField, leadField]) => ({
                crmField,
                leadField: String(leadField ?? ''),
              }))
            : [];
        return {
          ...config,
          fieldMap,
          method: config.method || 'POST',
          externalIdField: config.externalIdField ?? '',
          url: config.url ?? '',
        };
      },
    },
  ],
};

/** The version a node of this type is saved with by this package. */
export function currentVersion(type: NodeTypeName): number {
  const steps = MIGRATIONS[type];
  return steps.length ? steps[steps.length - 1].version : 0;
}

/**
 * Applies, in order, every step newer than the stored version (none stored means 0) and stamps each step's version.
 * Returns the same object when nothing applies, a new one otherwise; the input is never changed.
 */
export function migrate<T extends object>(type: NodeTypeName, config: T): T {
  const steps = MIGRATIONS[type];
  if (!steps) throw new Error(`no migrations for node type "${type}"`);
  const stored = Number((config as StoredConfig).version) || 0;
  let result = config as StoredConfig;
  for (const step of steps) {
    if (step.version <= stored) continue;
    result = { ...step.up({ ...result }), version: step.version };
  }
  return result as T;
}
