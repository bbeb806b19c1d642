import type { Lead } from '../leadmap/lead';
import type { CrmSystem } from './settings';

/** One row of the field map: the CRM's field name, and where its value comes from in our lead (a dotted path). */
export interface FieldMapRow {
  crmField: string;
  leadField: string;
}

const rows = (pairs: Array<[string, string]>): FieldMapRow[] =>
  pairs.map(([crmField, leadField]) => ({ crmField, leadField }));

export const DEFAULT_FIELD_MAPS: Record<CrmSystem, FieldMapRow[]> = {
  hubspot: rows([
    ['email', 'email'],
    ['firstname', 'firstName'],
    ['lastname', 'lastName'],
    ['phone', 'phone'],
    ['company', 'company'],
    ['jobtitle', 'jobTitle'],
    ['address', 'address'],
    ['city', 'city'],
    ['state', 'state'],
    ['zip', 'postalCode'],
    ['country', 'country'],
  ]),
  salesforce: rows([
    ['Email', 'email'],
    ['FirstName', 'firstName'],
    ['LastName', 'lastName'],
    ['Phone', 'phone'],
    ['Company', 'company'],
    ['Title', 'jobTitle'],
    ['Street', 'address'],
    ['City', 'city'],
    ['State', 'state'],
    ['PostalCode', 'postalCode'],
    ['Country', 'country'],
    ['LeadSource', 'source.provider'],
  ]),
  pipedrive: rows([
    ['name', 'fullName'],
    ['email', 'email'],
    ['phone', 'phone'],
    ['org_name', 'company'],
  ]),
  zoho: rows([
    ['Email', 'email'],
    ['First_Name', 'firstName'],
    ['Last_Name', 'lastName'],
    ['Phone', 'phone'],
    ['Company', 'company'],
    ['Designation', 'jobTitle'],
    ['Street', 'address'],
    ['City', 'city'],
    ['State', 'state'],
    ['Zip_Code', 'postalCode'],
    ['Country', 'country'],
  ]),
  http: rows([
    ['email', 'email'],
    ['name', 'fullName'],
    ['phone', 'phone'],
    ['company', 'company'],
    ['source', 'source.provider'],
    ['event', 'source.eventType'],
  ]),
};

export function readLeadField(lead: Lead, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined),
      lead,
    );
}

/** The CRM's fields for a lead; unmapped or empty values are left out rather than sent as blanks that overwrite data. */
export function buildFields(lead: Lead, map: FieldMapRow[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const { crmField, leadField } of map) {
    if (!crmField || !leadField) continue;
    const value = readLeadField(lead, leadField);
    if (value === undefined || value === null || value === '') continue;
    fields[crmField] = Array.isArray(value) ? value.join(';') : value;
  }
  return fields;
}
