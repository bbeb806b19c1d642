'use strict';
// A loopback emulator of the documented endpoints of HubSpot (date-versioned objects API: contacts batch upsert,
// properties, object schema; the legacy CRM v3 contacts paths), Salesforce (sObject Collections upsert and create,
// sObjects Lead, Lead describe), Pipedrive (API v2 persons, v1 leads and personFields; the retired v1 person paths
// answer 410), Zoho CRM (v8 Leads upsert, fields) and an HTTP API at /api/leads. It keeps records, answers conflicts
// and refusals per record as the real APIs do, checks the token, checks HubSpot's batch upsert body against its
// published OpenAPI schema (crm-schemas/), enforces each CRM's quota with its own 429 and rate-limit headers
// (`quotas`, e.g. { hubspot: { max: 100, intervalMs: 10000 } }, false to switch one off), and can be told to fail:
// fault({ status, times | forMs, retryAfter, body, hang, match, bodyMatch }). It answers after `latencyMs` (a longer one is a
// slow CRM).
// OAuth: each system's token endpoint (Salesforce client credentials, JWT bearer with an RS256 signature checked
// against `oauth.jwtPublicKey`, refresh token; HubSpot, Pipedrive and Zoho refresh tokens; an HTTP API's client
// credentials at /oauth2/token). Issued tokens live `oauth.tokenLifeMs`; an expired one gets the CRM's own 401.
const http = require('node:http');
const crypto = require('node:crypto');
const { randomUUID } = crypto;
const { z } = require('zod');

/** HubSpot's batch upsert body schema, from its OpenAPI document (the fixture names its source), as a zod schema. */
function hubspotUpsertSchema() {
  const excerpt = require('./crm-schemas/hubspot-2026-09-batch-upsert.json');
  const local = (value) => JSON.parse(JSON.stringify(value).replaceAll('#/components/schemas/', '#/$defs/'));
  return z.fromJSONSchema({ ...local(excerpt.requestBody), $defs: local(excerpt.components.schemas) });
}
const HUBSPOT_UPSERT_BODY = hubspotUpsertSchema();
/** The date versions HubSpot serves; writes are checked against the portal's required properties from 2026-09 on. */
const HUBSPOT_DATE_VERSIONS = ['2025-09', '2026-03', '2026-09'];
/** The newest Salesforce API version (Winter '27); a later one is answered 404 as Salesforce does. */
const SALESFORCE_LATEST = 68;

/** Each CRM's documented default quota: HubSpot 100 per 10 s (private app), Pipedrive 20 per 2 s (api_token, entry plan). */
const DEFAULT_QUOTAS = {
  hubspot: { max: 100, intervalMs: 10_000, daily: 250_000 },
  pipedrive: { max: 20, intervalMs: 2_000, daily: 10_000 },
  salesforce: { daily: 15_000 },
  zoho: { daily: 5_000 },
};

/** Which CRM a path belongs to. */
function systemOfPath(path) {
  if (path.startsWith('/services/')) return 'salesforce';
  // HubSpot's legacy numbered paths (/crm/v3/objects/…) beside Zoho's (/crm/v8/Leads/…).
  if (/^\/crm\/v\d+\/(objects|properties|associations|owners|schemas)\//.test(path)) return 'hubspot';
  if (/^\/crm\/v\d+\//.test(path)) return 'zoho';
  if (/^\/(crm|crm-object-schemas|account-info)\//.test(path)) return 'hubspot';
  if (/^\/api\/v[12]\//.test(path)) return 'pipedrive';
  return 'http';
}

async function startCrmEmulator({
  token = 'emulator-token',
  oauth = {},
  latencyMs = 5,
  quotas = {},
  hubspotRequired = [],
} = {}) {
  const o = {
    clientId: 'emulator-client-id',
    clientSecret: 'emulator-client-secret',
    refreshTokens: ['emulator-refresh-token'],
    username: 'integration@acme.example',
    jwtPublicKey: undefined,
    tokenLifeMs: 3600_000,
    ...oauth,
  };
  const issued = new Map(); // access token -> { expiresAt, grant }
  const revoked = new Map(); // refresh token -> { echo }
  const tokenRequests = [];
  const state = {
    hubspot: { contacts: new Map() },
    salesforce: { leads: new Map() },
    pipedrive: { persons: new Map(), leads: new Map() },
    http: { records: [] },
    zoho: { leads: new Map() },
    requests: [],
    /** Per CRM: calls answered, and those answered 429 by the quota. */
    calls: { hubspot: 0, salesforce: 0, pipedrive: 0, zoho: 0, http: 0 },
    throttled: { hubspot: 0, salesforce: 0, pipedrive: 0, zoho: 0, http: 0 },
    inFlight: 0,
    maxInFlight: 0,
  };
  const limits = Object.fromEntries(
    Object.entries(DEFAULT_QUOTAS).map(([system, quota]) => [
      system,
      quotas[system] === false ? undefined : { ...quota, ...quotas[system] },
    ]),
  );
  const windows = { hubspot: [], pipedrive: [] };
  const dailyUsed = { hubspot: 0, pipedrive: 0, salesforce: 0, zoho: 0 };
  let nextId = 1000;
  let faults = [];
  const sockets = new Set();

  const json = (res, status, body, headers = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };

  function activeFault(method, path, requestBody) {
    const now = Date.now();
    faults = faults.filter((f) => (f.times === undefined || f.times > 0) && (f.until === undefined || f.until > now));
    const fault = faults.find(
      (f) => (!f.match || f.match.test(`${method} ${path}`)) && (!f.bodyMatch || f.bodyMatch(requestBody)),
    );
    if (fault && fault.times !== undefined) fault.times--;
    return fault;
  }

  /** The token a request presents, in the form its API takes. */
  function presented(req, url) {
    if (/^\/api\/v[12]\//.test(url.pathname) && url.searchParams.has('api_token'))
      return url.searchParams.get('api_token');
    if (url.pathname.startsWith('/crm/v8/')) return /^Zoho-oauthtoken (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (url.pathname.startsWith('/api/leads') && req.headers['x-api-key']) return req.headers['x-api-key'];
    return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  }

  /** undefined when the token is good; otherwise the CRM's own 401 (an expired OAuth token has its own answer). */
  function unauthorised(req, url) {
    const given = presented(req, url);
    if (given && given === token) return undefined;
    const grant = given && issued.get(given);
    if (grant && grant.expiresAt > Date.now()) return undefined;
    const path = url.pathname;
    if (grant) {
      if (path.startsWith('/services/'))
        return [401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]];
      if (path.startsWith('/crm/v8/'))
        return [401, { code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' }];
      if (/^\/api\/v[12]\//.test(path)) return [401, { success: false, error: 'unauthorized access', errorCode: 401 }];
      return [
        401,
        {
          status: 'error',
          message: `The OAuth token used to make this call expired ${Math.ceil((Date.now() - grant.expiresAt) / 1000)} second(s) ago.`,
          category: 'EXPIRED_AUTHENTICATION',
        },
      ];
    }
    return [401, { message: 'Authentication credentials not found or invalid' }];
  }

  function issue(grant, extra = {}) {
    const accessToken = `at_${crypto.randomBytes(18).toString('base64url')}`;
    issued.set(accessToken, { expiresAt: Date.now() + o.tokenLifeMs, grant });
    return { access_token: accessToken, token_type: 'Bearer', ...extra };
  }

  /** Checks a JWT bearer assertion the way Salesforce does: RS256 signature, iss, sub, aud, exp. */
  function jwtProblem(assertion, audience) {
    const parts = String(assertion ?? '').split('.');
    if (parts.length !== 3 || !o.jwtPublicKey) return 'invalid assertion';
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    if (header.alg !== 'RS256') return 'invalid assertion: alg';
    const valid = crypto.verify(
      'RSA-SHA256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      o.jwtPublicKey,
      Buffer.from(parts[2], 'base64url'),
    );
    if (!valid) return 'invalid assertion: signature';
    if (claims.iss !== o.clientId) return 'invalid_client_id: client identifier invalid';
    if (claims.sub !== o.username) return "user hasn't approved this consumer";
    if (claims.aud !== audience) return 'audience is invalid';
    const now = Date.now() / 1000;
    if (!(claims.exp > now && claims.exp <= now + 300)) return 'expired authorization code';
    return undefined;
  }

  /** Token endpoints; true when the request was one. */
  function tokenEndpoint(req, res, url, form) {
    const path = url.pathname;
    const systems = {
      '/services/oauth2/token': 'salesforce',
      '/oauth/v1/token': 'hubspot',
      '/oauth/token': 'pipedrive',
      '/oauth/v2/token': 'zoho',
      '/oauth2/token': 'http',
    };
    const system = systems[path];
    if (req.method !== 'POST' || !system) return false;
    const params = new URLSearchParams(form);
    for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v); // Zoho documents query parameters
    let clientId = params.get('client_id');
    let clientSecret = params.get('client_secret');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (basic) [clientId, clientSecret] = Buffer.from(basic, 'base64').toString().split(':');
    const grantType = params.get('grant_type');
    tokenRequests.push({ system, grantType, at: Date.now() });
    const refuse = (error, description) => {
      if (system === 'zoho') return json(res, 200, { error }); // Zoho answers a refused grant with 200
      if (system === 'hubspot')
        return json(res, 400, { status: 'BAD_REFRESH_TOKEN', message: description, correlationId: randomUUID() });
      return json(res, 400, { error, error_description: description });
    };
    const lifeSeconds = o.tokenLifeMs / 1000;
    const answer = () => {
      if (system === 'salesforce')
        return issue(grantType, {
          instance_url: `http://127.0.0.1:${server.address().port}`,
          id: `${url.origin}/id/00D/005`,
          issued_at: String(Date.now()),
          signature: 'x',
        });
      if (system === 'zoho')
        return issue(grantType, {
          api_domain: `http://127.0.0.1:${server.address().port}`,
          expires_in: lifeSeconds,
          scope: 'ZohoCRM.modules.leads.ALL ZohoCRM.users.READ',
        });
      if (system === 'pipedrive')
        return issue(grantType, {
          refresh_token: params.get('refresh_token'),
          expires_in: lifeSeconds,
          api_domain: `http://127.0.0.1:${server.address().port}`,
        });
      if (system === 'hubspot')
        return issue(grantType, { refresh_token: params.get('refresh_token'), expires_in: lifeSeconds });
      return issue(grantType, { expires_in: lifeSeconds });
    };
    if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const problem = jwtProblem(params.get('assertion'), `http://127.0.0.1:${server.address().port}`);
      if (problem) return (refuse('invalid_grant', problem), true);
      return (json(res, 200, answer()), true);
    }
    if (clientId !== o.clientId || clientSecret !== o.clientSecret)
      return (refuse('invalid_client', 'invalid client credentials'), true);
    if (grantType === 'client_credentials') return (json(res, 200, answer()), true);
    if (grantType === 'refresh_token') {
      const refreshToken = params.get('refresh_token');
      const revocation = revoked.get(refreshToken);
      // A careless token server may echo what it was sent, upper-cased: the node must scrub it anyway.
      if (revocation)
        return (
          refuse(
            'invalid_grant',
            `expired access/refresh token${revocation.echo ? ` (${refreshToken.toUpperCase()}, client ${clientSecret})` : ''}`,
          ),
          true
        );
      if (!o.refreshTokens.includes(refreshToken)) return (refuse('invalid_grant', 'unknown refresh token'), true);
      return (json(res, 200, answer()), true);
    }
    return (refuse('unsupported_grant_type', 'grant type not supported'), true);
  }

  /**
   * The CRM's quota for this request: sets its rate-limit headers and answers true when the request is over it (the
   * CRM's own 429 has been sent).
   */
  function overQuota(system, res) {
    const limit = limits[system];
    if (!limit) return false;
    const now = Date.now();
    dailyUsed[system] = (dailyUsed[system] ?? 0) + 1;
    if (system === 'salesforce') {
      res.setHeader('sforce-limit-info', `api-usage=${dailyUsed.salesforce}/${limit.daily}`);
      return false;
    }
    if (system === 'zoho') return false;
    const window = windows[system].filter((at) => at > now - limit.intervalMs);
    windows[system] = window;
    const over = window.length >= limit.max || dailyUsed[system] > limit.daily;
    if (!over) window.push(now);
    const remaining = Math.max(0, limit.max - window.length);
    const resetMs = window.length ? window[0] + limit.intervalMs - now : limit.intervalMs;
    if (system === 'hubspot') {
      res.setHeader('x-hubspot-ratelimit-max', String(limit.max));
      res.setHeader('x-hubspot-ratelimit-remaining', String(remaining));
      res.setHeader('x-hubspot-ratelimit-interval-milliseconds', String(limit.intervalMs));
      res.setHeader('x-hubspot-ratelimit-daily', String(limit.daily));
      res.setHeader('x-hubspot-ratelimit-daily-remaining', String(Math.max(0, limit.daily - dailyUsed.hubspot)));
    } else {
      res.setHeader('x-ratelimit-limit', String(limit.max));
      res.setHeader('x-ratelimit-remaining', String(remaining));
      res.setHeader('x-ratelimit-reset', String(Math.ceil(resetMs / 1000)));
      res.setHeader('x-daily-requests-left', String(Math.max(0, limit.daily - dailyUsed[system])));
    }
    if (!over) return false;
    state.throttled[system]++;
    if (system === 'hubspot')
      json(res, 429, {
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        correlationId: randomUUID(),
        policyName: 'TEN_SECONDLY_ROLLING',
      });
    else
      json(
        res,
        429,
        { success: false, error: 'Request over limit', errorCode: 429 },
        { 'retry-after': String(Math.ceil(resetMs / 1000)) },
      );
    return true;
  }

  const HUBSPOT_PROPERTIES = [
    { name: 'email', label: 'Email', type: 'string', fieldType: 'text', hubspotDefined: true },
    { name: 'firstname', label: 'First Name', type: 'string', fieldType: 'text', hubspotDefined: true },
    { name: 'lastname', label: 'Last Name', type: 'string', fieldType: 'text', hubspotDefined: true },
    { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber', hubspotDefined: true },
    { name: 'company', label: 'Company Name', type: 'string', fieldType: 'text', hubspotDefined: true },
    { name: 'city', label: 'City', type: 'string', fieldType: 'text', hubspotDefined: true },
    {
      name: 'lifecyclestage',
      label: 'Lifecycle Stage',
      type: 'enumeration',
      fieldType: 'radio',
      hubspotDefined: true,
      options: [{ value: 'subscriber' }, { value: 'lead' }, { value: 'customer' }],
    },
    {
      name: 'hs_object_id',
      label: 'Record ID',
      type: 'number',
      fieldType: 'number',
      hubspotDefined: true,
      modificationMetadata: { readOnlyValue: true },
    },
    { name: 'lead_score_webinar', label: 'Webinar score', type: 'number', fieldType: 'number', hubspotDefined: false },
  ];

  /** HubSpot's date-versioned contacts batch upsert: per-input results, refused inputs in `errors` (207). */
  function hubspotBatchUpsert(res, version, body) {
    const parsed = HUBSPOT_UPSERT_BODY.safeParse(body);
    if (!parsed.success)
      return json(res, 400, {
        status: 'error',
        category: 'VALIDATION_ERROR',
        message: `Invalid input JSON on line 1: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        correlationId: randomUUID(),
      });
    const inputs = body.inputs;
    if (inputs.length > 100)
      return json(res, 400, { status: 'error', category: 'VALIDATION_ERROR', message: 'Batch size exceeds 100' });
    const ids = inputs.map((i) => i.id.toLowerCase());
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate)
      return json(res, 400, {
        status: 'error',
        category: 'VALIDATION_ERROR',
        message: `Duplicate IDs found in batch input: [${duplicate}]. IDs must be unique`,
      });
    const results = [];
    const errors = [];
    const now = new Date().toISOString();
    for (const input of inputs) {
      if (input.idProperty !== 'email') {
        errors.push({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: 'Upsert by email requires idProperty "email"',
          context: { ids: [input.id] },
          errors: [],
          links: {},
        });
        continue;
      }
      const email = input.id.toLowerCase();
      if (email === 'rejected@example.com' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
        errors.push({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: `Property values were not valid: [{"isValid":false,"message":"Email address ${email} is invalid","error":"INVALID_EMAIL","name":"email"}]`,
          context: { ids: [input.id] },
          errors: [{ message: `Email address ${email} is invalid`, in: 'email', code: 'INVALID_EMAIL' }],
          links: {},
        });
        continue;
      }
      const existing = [...state.hubspot.contacts.values()].find((c) => c.properties.email === email);
      const missing = existing || version < '2026-09' ? [] : hubspotRequired.filter((p) => !input.properties[p]);
      if (missing.length) {
        errors.push({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: `Missing required properties: ${missing.join(', ')}`,
          context: { ids: [input.id], propertyName: missing },
          errors: missing.map((p) => ({ message: `${p} is required`, in: p, code: 'REQUIRED_PROPERTY_MISSING' })),
          links: {},
        });
        continue;
      }
      let contact = existing;
      if (contact) {
        Object.assign(contact.properties, input.properties, { email });
        contact.updates++;
      } else {
        contact = { id: String(nextId++), properties: { ...input.properties, email }, updates: 0 };
        state.hubspot.contacts.set(contact.id, contact);
      }
      results.push({
        id: contact.id,
        new: !existing,
        archived: false,
        createdAt: now,
        updatedAt: now,
        properties: { ...contact.properties },
        ...(input.objectWriteTraceId ? { objectWriteTraceId: input.objectWriteTraceId } : {}),
      });
    }
    return json(res, errors.length ? 207 : 200, {
      status: 'COMPLETE',
      results,
      ...(errors.length ? { numErrors: errors.length, errors } : {}),
      requestedAt: now,
      startedAt: now,
      completedAt: now,
    });
  }

  /** Today's HubSpot endpoints; true when the request was one of them. */
  function hubspotRoutes(req, res, url, body) {
    const { pathname } = url;
    let m;
    if ((m = /^\/(crm|crm-object-schemas)\/(?:objects\/|properties\/)?([^/]+)\//.exec(pathname))) {
      const version = /^\/crm-object-schemas\//.test(pathname) ? m[2] : m[2];
      if (/^\d{4}-\d{2}/.test(version) && !HUBSPOT_DATE_VERSIONS.includes(version))
        return (
          json(res, 404, { status: 'error', message: `Unknown API version ${version}`, category: 'OBJECT_NOT_FOUND' }),
          true
        );
    }
    if (req.method === 'POST' && (m = /^\/crm\/objects\/([\d-]+)\/contacts\/batch\/upsert$/.exec(pathname)))
      return (hubspotBatchUpsert(res, m[1], body), true);
    if (req.method === 'GET' && /^\/crm\/properties\/[\d-]+\/contacts$/.test(pathname))
      return (json(res, 200, { results: HUBSPOT_PROPERTIES }), true);
    if (req.method === 'GET' && /^\/crm-object-schemas\/[\d-]+\/schemas\/contacts$/.test(pathname))
      return (
        json(res, 200, {
          id: '0-1',
          name: 'contacts',
          objectTypeId: '0-1',
          requiredProperties: ['email', ...hubspotRequired],
          properties: [],
        }),
        true
      );
    return false;
  }

  const SALESFORCE_LEAD_FIELDS = [
    { name: 'Id', label: 'Lead ID', type: 'id', custom: false, nillable: false, createable: false, updateable: false },
    ...['FirstName', 'Email', 'Phone', 'Title', 'City', 'Street', 'State', 'PostalCode', 'Country'].map((name) => ({
      name,
      label: name,
      type: name === 'Email' ? 'email' : name === 'Phone' ? 'phone' : 'string',
      custom: false,
      nillable: true,
      createable: true,
      updateable: true,
    })),
    ...['LastName', 'Company'].map((name) => ({
      name,
      label: name,
      type: 'string',
      custom: false,
      nillable: false,
      createable: true,
      updateable: true,
    })),
    {
      name: 'LeadSource',
      label: 'Lead Source',
      type: 'picklist',
      custom: false,
      nillable: true,
      createable: true,
      updateable: true,
      picklistValues: [
        { value: 'Web', active: true },
        { value: 'saleassist', active: true },
      ],
    },
    {
      name: 'Status',
      label: 'Status',
      type: 'picklist',
      custom: false,
      nillable: false,
      defaultedOnCreate: true,
      createable: true,
      updateable: true,
      picklistValues: [{ value: 'Open - Not Contacted', active: true }],
    },
    {
      name: 'Webinar_Score__c',
      label: 'Webinar score',
      type: 'double',
      custom: true,
      nillable: true,
      createable: true,
      updateable: true,
    },
    {
      name: 'Region__c',
      label: 'Region',
      type: 'string',
      custom: true,
      nillable: false,
      createable: true,
      updateable: true,
    },
  ];

  /** Salesforce's upsert of one Lead by an external id field; the SaveResult and HTTP status it would give. */
  function salesforceSave(field, value, fields) {
    const missing = (f) => ['LastName', 'Company'].filter((k) => !f[k]);
    if (fields.Email === 'invalid' || value === 'rejected@example.com')
      return {
        id: null,
        success: false,
        errors: [
          {
            statusCode: 'INVALID_EMAIL_ADDRESS',
            message: 'Email: invalid email address: rejected@example.com',
            fields: ['Email'],
          },
        ],
      };
    const existing =
      field && [...state.salesforce.leads.values()].find((l) => String(l.fields[field]) === String(value));
    if (existing) {
      Object.assign(existing.fields, fields);
      existing.updates++;
      return { id: existing.id, success: true, errors: [], created: false };
    }
    if (missing(fields).length)
      return {
        id: null,
        success: false,
        errors: [
          {
            statusCode: 'REQUIRED_FIELD_MISSING',
            message: `Required fields are missing: [${missing(fields).join(', ')}]`,
            fields: missing(fields),
          },
        ],
      };
    const id = `00Q${String(nextId++).padStart(15, '0')}`;
    state.salesforce.leads.set(id, { id, fields: { ...fields }, updates: 0 });
    return { id, success: true, errors: [], created: true };
  }

  /** Today's Salesforce endpoints (sObject Collections, Lead describe); true when the request was one of them. */
  function salesforceRoutes(req, res, url, body) {
    const m = /^\/services\/data\/v(\d+)\.0(\/.*)$/.exec(url.pathname);
    if (!m) return false;
    if (Number(m[1]) > SALESFORCE_LATEST || Number(m[1]) < 31)
      return (json(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]), true);
    const rest = m[2];
    let c;
    if (req.method === 'GET' && rest === '/sobjects/Lead/describe')
      return (json(res, 200, { name: 'Lead', fields: SALESFORCE_LEAD_FIELDS }), true);
    const upsertBy = req.method === 'PATCH' && (c = /^\/composite\/sobjects\/Lead\/([^/]+)$/.exec(rest));
    const create = req.method === 'POST' && rest === '/composite/sobjects';
    if (!upsertBy && !create) return false;
    const records = Array.isArray(body?.records) ? body.records : undefined;
    if (!records || records.length === 0)
      return (json(res, 400, [{ errorCode: 'INVALID_FIELD', message: 'records is required' }]), true);
    if (records.length > 200)
      return (
        json(res, 400, [
          {
            errorCode: 'EXCEEDED_ID_LIMIT',
            message: 'record limit reached. cannot submit more than 200 records into this call',
          },
        ]),
        true
      );
    if (body.allOrNone === true)
      return (
        json(res, 400, [{ errorCode: 'INVALID_FIELD', message: 'this emulator checks allOrNone: false only' }]),
        true
      );
    const field = upsertBy ? decodeURIComponent(c[1]) : undefined;
    const results = records.map((record) => {
      const { attributes, ...fields } = record ?? {};
      if (attributes?.type !== 'Lead')
        return {
          id: null,
          success: false,
          errors: [{ statusCode: 'INVALID_TYPE', message: 'attributes.type must be Lead', fields: [] }],
        };
      if (field && (fields[field] === undefined || fields[field] === ''))
        return {
          id: null,
          success: false,
          errors: [{ statusCode: 'MISSING_ARGUMENT', message: `${field} not specified`, fields: [field] }],
        };
      const result = salesforceSave(field, field ? fields[field] : undefined, fields);
      if (!field) delete result.created;
      return result;
    });
    return (json(res, 200, results), true);
  }

  /** Today's Pipedrive endpoints (API v2 persons, personFields); the retired v1 person paths answer 410. */
  function pipedriveRoutes(req, res, url, body) {
    const { pathname } = url;
    const method = req.method;
    let m;
    if (/^\/api\/v1\/persons(\/|$)/.test(pathname))
      return (
        json(res, 410, {
          success: false,
          error: 'This endpoint is no longer supported. Use API v2: /api/v2/persons',
          errorCode: 410,
        }),
        true
      );
    const personOut = (p) => ({ id: p.id, name: p.name, emails: p.emails, phones: p.phones });
    const unknownKeys = (b) =>
      Object.keys(b ?? {}).filter(
        (k) =>
          ![
            'name',
            'emails',
            'phones',
            'org_id',
            'owner_id',
            'visible_to',
            'label_ids',
            'custom_fields',
            'marketing_status',
          ].includes(k),
      );
    if (method === 'GET' && pathname === '/api/v2/persons/search') {
      const term = url.searchParams.get('term');
      const exact = url.searchParams.get('exact_match') === 'true';
      const items = [...state.pipedrive.persons.values()]
        .filter((p) => p.emails.some((e) => (exact ? e.value === term : e.value.includes(term))))
        .map((p) => ({ result_score: 1, item: { id: p.id, name: p.name, emails: p.emails.map((e) => e.value) } }));
      return (json(res, 200, { success: true, data: { items } }), true);
    }
    if (method === 'POST' && pathname === '/api/v2/persons') {
      if (!body?.name) return (json(res, 400, { success: false, error: 'Name must be given.' }), true);
      if (unknownKeys(body).length)
        return (json(res, 400, { success: false, error: `Unknown fields: ${unknownKeys(body).join(', ')}` }), true);
      const person = {
        id: nextId++,
        name: body.name,
        emails: body.emails ?? [],
        phones: body.phones ?? [],
        custom_fields: body.custom_fields ?? {},
        updates: 0,
      };
      person.email = person.emails;
      state.pipedrive.persons.set(person.id, person);
      return (json(res, 200, { success: true, data: personOut(person) }), true);
    }
    if (method === 'PATCH' && (m = /^\/api\/v2\/persons\/(\d+)$/.exec(pathname))) {
      const person = state.pipedrive.persons.get(Number(m[1]));
      if (!person) return (json(res, 404, { success: false, error: 'Person not found' }), true);
      if (unknownKeys(body).length)
        return (json(res, 400, { success: false, error: `Unknown fields: ${unknownKeys(body).join(', ')}` }), true);
      Object.assign(person, body, { id: person.id });
      person.email = person.emails;
      person.updates++;
      return (json(res, 200, { success: true, data: personOut(person) }), true);
    }
    if (method === 'GET' && pathname === '/api/v1/personFields')
      return (
        json(res, 200, {
          success: true,
          data: [
            { key: 'name', name: 'Name', field_type: 'varchar', mandatory_flag: true, edit_flag: false },
            { key: 'email', name: 'Email', field_type: 'varchar', mandatory_flag: false, edit_flag: false },
            { key: 'phone', name: 'Phone', field_type: 'phone', mandatory_flag: false, edit_flag: false },
            {
              key: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
              name: 'Webinar',
              field_type: 'enum',
              mandatory_flag: true,
              edit_flag: true,
              options: [
                { id: 1, label: 'Spring' },
                { id: 2, label: 'Autumn' },
              ],
            },
          ],
        }),
        true
      );
    return false;
  }

  /** Zoho's Leads fields (GET /crm/v8/settings/fields?module=Leads). */
  function zohoRoutes(req, res, url) {
    if (req.method !== 'GET' || url.pathname !== '/crm/v8/settings/fields') return false;
    if (url.searchParams.get('module') !== 'Leads')
      return (
        json(res, 400, {
          code: 'REQUIRED_PARAM_MISSING',
          details: { param: 'module' },
          message: 'module is required',
          status: 'error',
        }),
        true
      );
    const field = (api_name, data_type, extra = {}) => ({
      api_name,
      field_label: api_name.replace(/_/g, ' '),
      display_label: api_name.replace(/_/g, ' '),
      data_type,
      system_mandatory: false,
      custom_field: false,
      read_only: false,
      ...extra,
    });
    return (
      json(res, 200, {
        fields: [
          field('Email', 'email'),
          field('First_Name', 'text'),
          field('Last_Name', 'text', { system_mandatory: true }),
          field('Company', 'text', { system_mandatory: true }),
          field('Lead_Source', 'picklist', { pick_list_values: [{ actual_value: 'Web', display_value: 'Web' }] }),
          field('Webinar_Score', 'integer', { custom_field: true }),
          field('Created_Time', 'datetime', { read_only: true }),
        ],
      }),
      true
    );
  }

  function route(req, res, url, body) {
    if (hubspotRoutes(req, res, url, body)) return;
    if (salesforceRoutes(req, res, url, body)) return;
    if (pipedriveRoutes(req, res, url, body)) return;
    if (zohoRoutes(req, res, url)) return;
    legacyRoute(req, res, url, body);
  }

  /** The endpoints the first version used and the CRMs still serve (HubSpot's legacy v3 paths until September 2027). */
  function legacyRoute(req, res, url, body) {
    const { pathname } = url;
    const method = req.method;
    let m;
    // HubSpot CRM v3 contacts: 409 with "Existing ID" for a duplicate email, like the real API.
    if (method === 'POST' && pathname === '/crm/v3/objects/contacts') {
      const props = body?.properties ?? {};
      if (!props.email)
        return json(res, 400, {
          status: 'error',
          message: 'Property values were not valid: email is required',
          category: 'VALIDATION_ERROR',
        });
      if (props.email === 'rejected@example.com')
        return json(res, 400, {
          status: 'error',
          message: 'Property values were not valid: [{"error":"INVALID_EMAIL"}]',
          category: 'VALIDATION_ERROR',
        });
      const existing = [...state.hubspot.contacts.values()].find((c) => c.properties.email === props.email);
      if (existing)
        return json(res, 409, {
          status: 'error',
          message: `Contact already exists. Existing ID: ${existing.id}`,
          category: 'CONFLICT',
        });
      const contact = { id: String(nextId++), properties: { ...props }, updates: 0 };
      state.hubspot.contacts.set(contact.id, contact);
      return json(res, 201, { id: contact.id, properties: contact.properties });
    }
    if (method === 'PATCH' && (m = /^\/crm\/v3\/objects\/contacts\/(\d+)$/.exec(pathname))) {
      const contact = state.hubspot.contacts.get(m[1]);
      if (!contact) return json(res, 404, { status: 'error', message: 'resource not found' });
      Object.assign(contact.properties, body?.properties ?? {});
      contact.updates++;
      return json(res, 200, { id: contact.id, properties: contact.properties });
    }
    // Salesforce sObjects Lead: create, or upsert by an external id field.
    if ((m = /^\/services\/data\/v\d+\.\d+\/sobjects\/Lead(?:\/([^/]+)\/([^/]+))?$/.exec(pathname))) {
      const missing = (fields) => ['LastName', 'Company'].filter((f) => !fields[f]);
      if (method === 'POST' && !m[1]) {
        if (missing(body).length)
          return json(res, 400, [
            {
              message: `Required fields are missing: [${missing(body).join(', ')}]`,
              errorCode: 'REQUIRED_FIELD_MISSING',
              fields: missing(body),
            },
          ]);
        const id = `00Q${String(nextId++).padStart(15, '0')}`;
        state.salesforce.leads.set(id, { id, fields: { ...body }, updates: 0 });
        return json(res, 201, { id, success: true, errors: [] });
      }
      if (method === 'PATCH' && m[1]) {
        const field = decodeURIComponent(m[1]);
        const value = decodeURIComponent(m[2]);
        if (body && field in body)
          return json(res, 400, [
            {
              message: `The field ${field} must not be in the body of an upsert by ${field}`,
              errorCode: 'INVALID_FIELD',
            },
          ]);
        if (body?.Email === 'invalid' || value === 'rejected@example.com')
          return json(res, 400, [
            { message: 'Email: invalid email address: rejected@example.com', errorCode: 'INVALID_EMAIL_ADDRESS' },
          ]);
        const existing = [...state.salesforce.leads.values()].find((l) => String(l.fields[field]) === value);
        if (existing) {
          Object.assign(existing.fields, body);
          existing.updates++;
          return json(res, 200, { id: existing.id, success: true, errors: [], created: false });
        }
        const fields = { ...body, [field]: value };
        if (missing(fields).length)
          return json(res, 400, [
            {
              message: `Required fields are missing: [${missing(fields).join(', ')}]`,
              errorCode: 'REQUIRED_FIELD_MISSING',
            },
          ]);
        const id = `00Q${String(nextId++).padStart(15, '0')}`;
        state.salesforce.leads.set(id, { id, fields, updates: 0 });
        return json(res, 201, { id, success: true, errors: [], created: true });
      }
    }
    // Pipedrive leads stay on v1 (their current endpoints).
    if (method === 'GET' && pathname === '/api/v1/leads') {
      const personId = Number(url.searchParams.get('person_id'));
      return json(res, 200, {
        success: true,
        data: [...state.pipedrive.leads.values()].filter((l) => l.person_id === personId),
      });
    }
    if (method === 'POST' && pathname === '/api/v1/leads') {
      if (!body?.title || !state.pipedrive.persons.has(body.person_id))
        return json(res, 400, { success: false, error: 'A lead needs a title and an existing person_id' });
      const lead = { id: randomUUID(), title: body.title, person_id: body.person_id, updates: 0 };
      state.pipedrive.leads.set(lead.id, lead);
      return json(res, 201, { success: true, data: lead });
    }
    if (method === 'PATCH' && (m = /^\/api\/v1\/leads\/([\w-]+)$/.exec(pathname))) {
      const lead = state.pipedrive.leads.get(m[1]);
      if (!lead) return json(res, 404, { success: false, error: 'Lead not found' });
      Object.assign(lead, body, { id: lead.id });
      lead.updates++;
      return json(res, 200, { success: true, data: lead });
    }
    // Who am I: the harmless reads behind "Test connection".
    if (method === 'GET' && pathname === '/services/oauth2/userinfo')
      return json(res, 200, { preferred_username: o.username, name: 'Integration User' });
    if (method === 'GET' && pathname === '/account-info/v3/details')
      return json(res, 200, { portalId: 4242, uiDomain: 'app.hubspot.com' });
    if (method === 'GET' && pathname === '/api/v1/users/me')
      return json(res, 200, {
        success: true,
        data: { name: 'Sam Seller', email: 'sam@seller.example', company_name: 'Acme' },
      });
    if (method === 'GET' && pathname === '/crm/v8/users')
      return json(res, 200, { users: [{ full_name: 'Zoe Zoho', email: 'zoe@acme.example' }] });
    // Zoho CRM v8 upsert: per-record answers; Last_Name (and, for Leads, Company) are required.
    if (method === 'POST' && pathname === '/crm/v8/Leads/upsert') {
      const rows = Array.isArray(body?.data) ? body.data : [];
      if (rows.length > 100)
        return json(res, 400, {
          data: [],
          code: 'LIMIT_EXCEEDED',
          details: { limit: 100 },
          message: 'the number of records exceeds 100',
          status: 'error',
        });
      const checks =
        Array.isArray(body?.duplicate_check_fields) && body.duplicate_check_fields.length
          ? body.duplicate_check_fields
          : ['Email'];
      const data = rows.map((fields) => {
        if (fields.Email === 'rejected@example.com')
          return {
            code: 'INVALID_DATA',
            details: { api_name: 'Email', expected_data_type: 'email' },
            message: 'invalid data',
            status: 'error',
          };
        if (!fields.Last_Name)
          return {
            code: 'MANDATORY_NOT_FOUND',
            details: { api_name: 'Last_Name' },
            message: 'required field not found',
            status: 'error',
          };
        const existing = [...state.zoho.leads.values()].find((l) =>
          checks.some((f) => fields[f] !== undefined && l.fields[f] === fields[f]),
        );
        if (existing) {
          Object.assign(existing.fields, fields);
          existing.updates++;
          return {
            code: 'SUCCESS',
            duplicate_field: checks[0],
            action: 'update',
            details: { id: existing.id },
            message: 'record updated',
            status: 'success',
          };
        }
        const id = String(5725767000000000000n + BigInt(nextId++));
        state.zoho.leads.set(id, { id, fields: { ...fields }, updates: 0 });
        return {
          code: 'SUCCESS',
          duplicate_field: null,
          action: 'insert',
          details: { id },
          message: 'record added',
          status: 'success',
        };
      });
      return json(res, data.every((d) => d.status === 'success') ? 200 : 400, { data });
    }
    // An HTTP API (the system `http`).
    if (method === 'POST' && pathname === '/api/leads') {
      if (!body?.email) return json(res, 422, { error: 'email is required' });
      const record = { id: `rec_${nextId++}`, ...body };
      state.http.records.push(record);
      return json(res, 201, record);
    }
    return json(res, 404, { message: `no such endpoint: ${method} ${pathname}` });
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://emulator');
      const text = Buffer.concat(chunks).toString('utf8');
      const isForm = /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '');
      let body;
      try {
        body = text && !isForm ? JSON.parse(text) : undefined;
      } catch {
        return json(res, 400, { message: 'body is not JSON' });
      }
      state.requests.push({
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        at: Date.now(),
      });
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      res.on('close', () => {
        state.inFlight--;
      });
      const fault = activeFault(req.method, url.pathname, body);
      const answer = () => {
        if (fault && !fault.hang) {
          return json(
            res,
            fault.status,
            fault.body ?? { message: `emulated ${fault.status}` },
            fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
          );
        }
        if (fault?.hang) return; // never answers: the client's timeout must fire
        if (tokenEndpoint(req, res, url, isForm ? text : '')) return;
        const refusal = unauthorised(req, url);
        if (refusal) return json(res, refusal[0], refusal[1]);
        const system = systemOfPath(url.pathname);
        state.calls[system]++;
        if (overQuota(system, res)) return;
        route(req, res, url, body);
      };
      // A small delay makes overlapping requests visible to the in-flight count; a longer one is a slow CRM.
      setTimeout(answer, latencyMs);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${server.address().port}`,
    token,
    ...state,
    get maxInFlight() {
      return state.maxInFlight;
    },
    requests: state.requests,
    /** Calls per CRM (after authentication), and those answered 429 by its quota. */
    calls: state.calls,
    throttled: state.throttled,
    /** Every token request: { system, grantType, at }. */
    tokenRequests,
    oauth: o,
    /** The token server refuses this refresh token from now on; with echo, its refusal quotes the secrets back. */
    revoke(refreshToken, { echo = false } = {}) {
      revoked.set(refreshToken, { echo });
    },
    /** Every access token issued so far expires now: the next request with one gets the CRM's 401. */
    expireTokens() {
      for (const grant of issued.values()) grant.expiresAt = Date.now() - 1;
    },
    setTokenLife(ms) {
      o.tokenLifeMs = ms;
    },
    /** Fail the next `times` matching requests, or all matching requests for `forMs`. */
    fault({ status = 503, times, forMs, retryAfter, body, hang = false, match, bodyMatch } = {}) {
      faults.push({
        status,
        times,
        until: forMs !== undefined ? Date.now() + forMs : undefined,
        retryAfter,
        body,
        hang,
        match,
        bodyMatch,
      });
    },
    clearFaults() {
      faults = [];
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { startCrmEmulator };
