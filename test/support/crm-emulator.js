'use strict';
// A loopback emulator of the documented endpoints of HubSpot (CRM v3 contacts), Salesforce (sObjects Lead),
// Pipedrive (persons, leads), Zoho CRM (v8 Leads upsert) and an HTTP API at /api/leads. It keeps records, answers
// conflicts as the real APIs do, checks the token, and can be told to fail: fault({ status, times | forMs,
// retryAfter, body, hang, match }). It answers after `latencyMs` (a longer one is a slow CRM).
// OAuth: each system's token endpoint (Salesforce client credentials, JWT bearer with an RS256 signature checked
// against `oauth.jwtPublicKey`, refresh token; HubSpot, Pipedrive and Zoho refresh tokens; an HTTP API's client
// credentials at /oauth2/token). Issued tokens live `oauth.tokenLifeMs`; an expired one gets the CRM's own 401.
const http = require('node:http');
const crypto = require('node:crypto');
const { randomUUID } = crypto;

async function startCrmEmulator({ token = 'emulator-token', oauth = {}, latencyMs = 5 } = {}) {
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
    inFlight: 0,
    maxInFlight: 0,
  };
  let nextId = 1000;
  let faults = [];
  const sockets = new Set();

  const json = (res, status, body, headers = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };

  function activeFault(method, path) {
    const now = Date.now();
    faults = faults.filter((f) => (f.times === undefined || f.times > 0) && (f.until === undefined || f.until > now));
    const fault = faults.find((f) => !f.match || f.match.test(`${method} ${path}`));
    if (fault && fault.times !== undefined) fault.times--;
    return fault;
  }

  /** The token a request presents, in the form its API takes. */
  function presented(req, url) {
    if (url.pathname.startsWith('/api/v1/') && url.searchParams.has('api_token'))
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
      if (path.startsWith('/api/v1/')) return [401, { success: false, error: 'unauthorized access', errorCode: 401 }];
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
      return (json(res, 200, tokenServer.rotate(answer(), refreshToken)), true);
    }
    return (refuse('unsupported_grant_type', 'grant type not supported'), true);
  }

  function route(req, res, url, body) {
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
    // Pipedrive v1: persons search/create/update, leads list/create/update.
    if (method === 'GET' && pathname === '/api/v1/persons/search') {
      const term = url.searchParams.get('term');
      const items = [...state.pipedrive.persons.values()]
        .filter((p) => p.email.some((e) => e.value === term))
        .map((p) => ({ result_score: 1, item: { id: p.id, name: p.name } }));
      return json(res, 200, { success: true, data: { items } });
    }
    if (method === 'POST' && pathname === '/api/v1/persons') {
      if (!body?.name) return json(res, 400, { success: false, error: 'Name must be given.' });
      const person = { id: nextId++, name: body.name, email: body.email ?? [], phone: body.phone ?? [], updates: 0 };
      state.pipedrive.persons.set(person.id, person);
      return json(res, 201, { success: true, data: { id: person.id, name: person.name } });
    }
    if (method === 'PUT' && (m = /^\/api\/v1\/persons\/(\d+)$/.exec(pathname))) {
      const person = state.pipedrive.persons.get(Number(m[1]));
      if (!person) return json(res, 404, { success: false, error: 'Person not found' });
      Object.assign(person, body, { id: person.id });
      person.updates++;
      return json(res, 200, { success: true, data: { id: person.id } });
    }
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
      const checks =
        Array.isArray(body?.duplicate_check_fields) && body.duplicate_check_fields.length
          ? body.duplicate_check_fields
          : ['Email'];
      const data = rows.map((fields) => {
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

  // ---- Token server and answer behaviours (authentication tests) ----
  // rotateRefreshTokens: each refresh answers a new refresh token and revokes the one it replaced (Salesforce with
  // rotation on). misbehave({ kind, match, times }): 'html' answers 200 text/html (a proxy or maintenance page),
  // 'endless' answers 200 JSON that never ends (cuts records how much was written when the client cut the socket),
  // 'echo-authorization' answers 400 quoting the Authorization header, 'unauthorized' answers 401 whatever the token.
  const tokenServer = {
    rotations: [],
    behaviours: [],
    cuts: [],
    rotate(answer, refreshToken) {
      if (!o.rotateRefreshTokens) return answer;
      const next = `rt_${crypto.randomBytes(24).toString('base64url')}`;
      o.refreshTokens = [...o.refreshTokens.filter((t) => t !== refreshToken), next];
      revoked.set(refreshToken, { echo: false });
      tokenServer.rotations.push({ from: refreshToken, to: next });
      return { ...answer, refresh_token: next };
    },
    misbehave(req, res, url) {
      const found = tokenServer.behaviours.find((b) => b.times !== 0 && b.match.test(`${req.method} ${url.pathname}`));
      if (!found) return false;
      if (found.times !== undefined) found.times--;
      if (found.kind === 'html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>Down for maintenance</title><h1>We will be back soon</h1>');
      } else if (found.kind === 'echo-authorization') {
        json(res, 400, {
          error: 'invalid_client',
          error_description: `client authentication failed for Authorization: ${req.headers.authorization}`,
        });
      } else if (found.kind === 'unauthorized') {
        json(res, 401, { success: false, error: 'unauthorized access', errorCode: 401 });
      } else if (found.kind === 'endless') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let written = 0;
        let done = false;
        res.write('{"access_token":"');
        const pump = () => {
          while (!done && res.write(chunk)) written += chunk.length;
          if (!done) written += chunk.length;
        };
        res.on('drain', pump);
        res.on('close', () => {
          done = true;
          tokenServer.cuts.push({ written, path: url.pathname });
        });
        pump();
      }
      return true;
    },
  };

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
      const fault = activeFault(req.method, url.pathname);
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
        if (tokenServer.misbehave(req, res, url)) return;
        if (tokenEndpoint(req, res, url, isForm ? text : '')) return;
        const refusal = unauthorised(req, url);
        if (refusal) return json(res, refusal[0], refusal[1]);
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
    /** Refresh tokens are rotated and the replaced one revoked; `rotations` lists { from, to } as they happened. */
    rotateRefreshTokens(on = true) {
      o.rotateRefreshTokens = on;
    },
    rotations: tokenServer.rotations,
    /** The token server (or any matching endpoint) answers as `kind` says; see the token server block. */
    misbehave({ kind, match = /\/(oauth2?|services\/oauth2)\/.*token$/, times }) {
      tokenServer.behaviours.push({ kind, match, times });
    },
    /** Endless answers whose socket the client closed: { written, path }. */
    cuts: tokenServer.cuts,
    /** The refresh tokens the token server grants now (after rotations). */
    get refreshTokens() {
      return [...o.refreshTokens];
    },
    addRefreshToken(refreshToken) {
      o.refreshTokens = [...o.refreshTokens, refreshToken];
    },
    setTokenLife(ms) {
      o.tokenLifeMs = ms;
    },
    /** Fail the next `times` matching requests, or all matching requests for `forMs`. */
    fault({ status = 503, times, forMs, retryAfter, body, hang = false, match } = {}) {
      faults.push({
        status,
        times,
        until: forMs !== undefined ? Date.now() + forMs : undefined,
        retryAfter,
        body,
        hang,
        match,
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
