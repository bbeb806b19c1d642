import { buildFields } from '../fieldmap';
import { idOf, isSuccess, readXRateLimit } from './common';
import type { CrmSystem } from './types';

/** Any HTTP API the user describes: one request per lead, to the method and URL of the node, with the mapped fields. */
export const http: CrmSystem = {
  id: 'http',
  label: 'HTTP API',
  auths: ['token', 'client-credentials'],
  defaultBaseUrl: '',
  defaultLoginUrl: '',
  tokenPath: '',
  clientAuthentication: 'form',
  defaultApiVersion: '',
  batchSize: 1,
  quota: { source: 'none known: an HTTP API is paced only by its own 429 answers and X-RateLimit-* headers' },
  defaultFieldMap: [
    ['email', 'email'],
    ['name', 'fullName'],
    ['phone', 'phone'],
    ['company', 'company'],
    ['source', 'source.provider'],
    ['event', 'source.eventType'],
  ].map(([crmField, leadField]) => ({ crmField, leadField })),

  isTokenExpired(status) {
    return status === 401;
  },

  readRateLimit(headers) {
    return readXRateLimit(headers);
  },

  prepare(lead, { options }) {
    return { lead, fields: buildFields(lead, options.fieldMap), batchKey: '' };
  },

  buildRequests(records, { options }) {
    return [{ method: options.method ?? 'POST', path: options.url || '/', body: records[0].fields }];
  },

  async upsert(records, context, sender) {
    const [request] = this.buildRequests(records, context);
    const res = await sender.send(request, context.options.hooks);
    if (!isSuccess(res)) sender.fail(res, 'take the lead');
    const method = context.options.method ?? 'POST';
    return [{ ok: true, id: idOf(res.body), action: res.status === 201 || method === 'POST' ? 'created' : 'updated' }];
  },

  async listFields() {
    // An HTTP API publishes no field list we could read: the field map stays free text.
    return [];
  },

  async whoAmI(client) {
    const { settings } = client;
    const token = await client.tokens.get();
    // An HTTP API has no standard "who am I"; a token from its OAuth server is as far as a harmless test can go.
    return settings.auth === 'client-credentials'
      ? `a token from ${settings.loginUrl}`
      : `nothing to check: the token is sent as it is to ${client.baseUrl(token.apiBaseUrl)}`;
  },
};
