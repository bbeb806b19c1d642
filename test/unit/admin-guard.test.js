'use strict';
// The admin guard's decision alone, for the headers the real-Node-RED test cannot easily send: proxies, old browsers,
// the user's own httpAdminCors origins.
const assert = require('node:assert/strict');
const { adminRequestRefusal, allowedOriginsOf, PACKAGE_ADMIN_ROUTES } = require('../../dist/admin/guard');

const refusal = (headers, method = 'POST', cors) =>
  adminRequestRefusal({ method, headers }, cors ? allowedOriginsOf(cors) : undefined)?.status;
const json = { 'content-type': 'application/json', 'content-length': '2' };

describe('admin guard', function () {
  it('covers every route of the package and none of Node-RED', function () {
    for (const p of ['/sales-webhooks/erase', '/sales-lead-map/preview', '/sales-crm/systems', '/sales-webhooks'])
      assert.ok(PACKAGE_ADMIN_ROUTES.test(p), p);
    for (const p of ['/flows', '/nodes', '/settings', '/plugins/sales-webhooks-log'])
      assert.ok(!PACKAGE_ADMIN_ROUTES.test(p), p);
  });

  it("lets the editor's own requests pass, directly and behind a proxy that rewrites Host", function () {
    assert.equal(refusal({ ...json, 'sec-fetch-site': 'same-origin', origin: 'https://nr.example' }), undefined);
    assert.equal(refusal({ ...json, host: 'nr.example:1880', origin: 'http://nr.example:1880' }), undefined);
    assert.equal(
      refusal({ ...json, host: '10.0.0.5:1880', 'x-forwarded-host': 'nr.example', origin: 'https://nr.example' }),
      undefined,
    );
    assert.equal(refusal({ 'sec-fetch-site': 'none' }, 'GET'), undefined, 'typed in the address bar');
    assert.equal(refusal({}, 'GET'), undefined, 'curl, Prometheus');
  });

  it('refuses another site, a sibling subdomain, an opaque origin, and non-JSON bodies', function () {
    assert.equal(refusal({ ...json, 'sec-fetch-site': 'cross-site' }), 403);
    assert.equal(refusal({ ...json, 'sec-fetch-site': 'same-site' }), 403, 'another app on a sibling subdomain');
    assert.equal(refusal({ ...json, host: 'nr.example', origin: 'https://evil.example' }), 403);
    assert.equal(refusal({ ...json, host: 'nr.example', origin: 'null' }), 403);
    assert.equal(refusal({ 'content-type': 'text/plain', 'content-length': '9' }), 415);
    assert.equal(refusal({ 'content-type': 'multipart/form-data; boundary=x', 'transfer-encoding': 'chunked' }), 415);
    assert.equal(refusal({ 'content-type': 'application/json; charset=utf-8', 'content-length': '2' }), undefined);
  });

  it("allows the origins the user listed in httpAdminCors, never a '*'", function () {
    const cross = { ...json, 'sec-fetch-site': 'cross-site', origin: 'https://ops.example' };
    assert.equal(refusal(cross, 'POST', { origin: 'https://ops.example' }), undefined);
    assert.equal(refusal(cross, 'POST', { origin: [/\.example$/] }), undefined);
    assert.equal(refusal(cross, 'POST', { origin: '*' }), 403);
    assert.equal(refusal(cross, 'POST', { origin: 'https://other.example' }), 403);
  });
});
