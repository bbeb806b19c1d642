'use strict';
// A loopback emulator of the documented endpoints of HubSpot (CRM v3 contacts), Salesforce (sObjects Lead),
// Pipedrive (persons, leads) and a generic /api/leads. It keeps records, answers conflicts as the real APIs do,
// checks the token, answers after `latencyMs`, and can be told to fail: fault({ status, times | forMs, retryAfter, body, hang, match }).
const http = require('node:http');
const { randomUUID } = require('node:crypto');

async function startCrmEmulator({ token = 'emulator-token', latencyMs = 5 } = {}) {
  const state = {
    hubspot: { contacts: new Map() },
    salesforce: { leads: new Map() },
    pipedrive: { persons: new Map(), leads: new Map() },
    generic: { records: [] },
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

  function authorised(req, url) {
    if (url.pathname.startsWith('/api/v1/')) return url.searchParams.get('api_token') === token;
    if (url.pathname.startsWith('/api/leads')) return req.headers['x-api-key'] === token || req.headers.authorization === `Bearer ${token}`;
    return req.headers.authorization === `Bearer ${token}`;
  }

  function route(req, res, url, body) {
    const { pathname } = url;
    const method = req.method;
    let m;
    // HubSpot CRM v3 contacts: 409 with "Existing ID" for a duplicate email, like the real API.
    if (method === 'POST' && pathname === '/crm/v3/objects/contacts') {
      const props = body?.properties ?? {};
      if (!props.email) return json(res, 400, { status: 'error', message: 'Property values were not valid: email is required', category: 'VALIDATION_ERROR' });
      if (props.email === 'rejected@example.com') return json(res, 400, { status: 'error', message: 'Property values were not valid: [{"error":"INVALID_EMAIL"}]', category: 'VALIDATION_ERROR' });
      const existing = [...state.hubspot.contacts.values()].find((c) => c.properties.email === props.email);
      if (existing) return json(res, 409, { status: 'error', message: `Contact already exists. Existing ID: ${existing.id}`, category: 'CONFLICT' });
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
        if (missing(body).length) return json(res, 400, [{ message: `Required fields are missing: [${missing(body).join(', ')}]`, errorCode: 'REQUIRED_FIELD_MISSING', fields: missing(body) }]);
        const id = `00Q${String(nextId++).padStart(15, '0')}`;
        state.salesforce.leads.set(id, { id, fields: { ...body }, updates: 0 });
        return json(res, 201, { id, success: true, errors: [] });
      }
      if (method === 'PATCH' && m[1]) {
        const field = decodeURIComponent(m[1]);
        const value = decodeURIComponent(m[2]);
        if (body && field in body) return json(res, 400, [{ message: `The field ${field} must not be in the body of an upsert by ${field}`, errorCode: 'INVALID_FIELD' }]);
        if (body?.Email === 'invalid' || value === 'rejected@example.com') return json(res, 400, [{ message: 'Email: invalid email address: rejected@example.com', errorCode: 'INVALID_EMAIL_ADDRESS' }]);
        const existing = [...state.salesforce.leads.values()].find((l) => String(l.fields[field]) === value);
        if (existing) {
          Object.assign(existing.fields, body);
          existing.updates++;
          return json(res, 200, { id: existing.id, success: true, errors: [], created: false });
        }
        const fields = { ...body, [field]: value };
        if (missing(fields).length) return json(res, 400, [{ message: `Required fields are missing: [${missing(fields).join(', ')}]`, errorCode: 'REQUIRED_FIELD_MISSING' }]);
        const id = `00Q${String(nextId++).padStart(15, '0')}`;
        state.salesforce.leads.set(id, { id, fields, updates: 0 });
        return json(res, 201, { id, success: true, errors: [], created: true });
      }
    }
    // Pipedrive v1: persons search/create/update, leads list/create/update.
    if (method === 'GET' && pathname === '/api/v1/persons/search') {
      const term = url.searchParams.get('term');
      const items = [...state.pipedrive.persons.values()].filter((p) => p.email.some((e) => e.value === term)).map((p) => ({ result_score: 1, item: { id: p.id, name: p.name } }));
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
      return json(res, 200, { success: true, data: [...state.pipedrive.leads.values()].filter((l) => l.person_id === personId) });
    }
    if (method === 'POST' && pathname === '/api/v1/leads') {
      if (!body?.title || !state.pipedrive.persons.has(body.person_id)) return json(res, 400, { success: false, error: 'A lead needs a title and an existing person_id' });
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
    // A generic HTTP API.
    if (method === 'POST' && pathname === '/api/leads') {
      if (!body?.email) return json(res, 422, { error: 'email is required' });
      const record = { id: `rec_${nextId++}`, ...body };
      state.generic.records.push(record);
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
      let body;
      try { body = text ? JSON.parse(text) : undefined; } catch { return json(res, 400, { message: 'body is not JSON' }); }
      state.requests.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, at: Date.now() });
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      res.on('close', () => { state.inFlight--; });
      const fault = activeFault(req.method, url.pathname);
      const answer = () => {
        if (!authorised(req, url)) return json(res, 401, { message: 'Authentication credentials not found or invalid' });
        if (fault && !fault.hang) {
          return json(res, fault.status, fault.body ?? { message: `emulated ${fault.status}` }, fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {});
        }
        if (fault?.hang) return; // never answers: the client's timeout must fire
        route(req, res, url, body);
      };
      // A small delay makes overlapping requests visible to the in-flight count; a longer one is a slow CRM.
      setTimeout(answer, latencyMs);
    });
  });
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${server.address().port}`,
    token,
    ...state,
    get maxInFlight() { return state.maxInFlight; },
    requests: state.requests,
    /** Fail the next `times` matching requests, or all matching requests for `forMs`. */
    fault({ status = 503, times, forMs, retryAfter, body, hang = false, match } = {}) {
      faults.push({ status, times, until: forMs !== undefined ? Date.now() + forMs : undefined, retryAfter, body, hang, match });
    },
    clearFaults() { faults = []; },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { startCrmEmulator };
