'use strict';
// The pure parts of the crm out dialog's field map and "Send test lead": which lead fields can fill which CRM fields,
// and the request as the dialog shows it, with no secret in it.
const assert = require('node:assert/strict');
const { FILLABLE_BY, leadFieldTypes } = require('../../dist/crm/fieldFit');
const { REDACTED, sampleLead, showRequest, withoutSecrets } = require('../../dist/crm/testLead');
const { leadSchema } = require('../../dist/leadmap/lead');

describe('the CRM field map checks', function () {
  it("reads each lead field's type from the lead schema", function () {
    const types = leadFieldTypes();
    assert.equal(types.email, 'string');
    assert.equal(types.score, 'number');
    assert.equal(types.tags, 'list');
    assert.equal(types['source.receivedAt'], 'date');
    assert.equal(types['source.provider'], 'string');
    assert.ok(
      Object.values(types).every((t) => t !== 'any'),
      'every standard field has a known type',
    );
  });

  it('lets text fill only text and choice fields, a number a number field, and anything a field of unknown type', function () {
    const fits = (lead, accepts) => FILLABLE_BY[accepts].includes(lead);
    assert.equal(fits('string', 'number'), false);
    assert.equal(fits('string', 'date'), false);
    assert.equal(fits('list', 'number'), false);
    assert.equal(fits('number', 'number'), true);
    assert.equal(fits('number', 'string'), true);
    assert.equal(fits('date', 'date'), true);
    assert.equal(fits('list', 'enumeration'), true);
    assert.equal(fits('any', 'boolean'), true);
    for (const lead of ['string', 'number', 'list', 'date', 'any']) assert.equal(fits(lead, 'any'), true);
  });

  it('sends a sample lead that is a valid lead', function () {
    assert.equal(leadSchema.safeParse(sampleLead()).success, true);
  });
});

describe('the test request as the dialog shows it', function () {
  const secret = 'pd-api-token-0f9e8d7c6b5a';

  it('names the full URL and headers, with the token where the CRM takes it shown redacted', function () {
    const shown = showRequest(
      { method: 'POST', path: '/api/v2/persons', query: { fields: 'email' }, body: { name: 'Test Lead' } },
      'https://acme.pipedrive.com',
      { headers: {}, query: { api_token: REDACTED } },
      [secret],
    );
    assert.equal(shown.url, 'https://acme.pipedrive.com/api/v2/persons?fields=email&api_token=[redacted]');
    assert.deepEqual(shown.headers, { accept: 'application/json', 'content-type': 'application/json' });
    assert.deepEqual(shown.body, { name: 'Test Lead' });
  });

  it('replaces a secret wherever it appears, even inside a body or an absolute URL', function () {
    const shown = showRequest(
      { method: 'GET', path: `https://crm.example/hook/${secret}`, body: { note: `key ${secret.toUpperCase()}` } },
      'https://ignored.example',
      { headers: { authorization: `Bearer ${REDACTED}` }, query: {} },
      [secret],
    );
    assert.ok(!JSON.stringify(shown).toLowerCase().includes(secret));
    assert.equal(shown.url, 'https://crm.example/hook/[redacted]');
    assert.equal(shown.headers.authorization, 'Bearer [redacted]');
  });

  it('removes a secret that holds JSON syntax from an answer', function () {
    const odd = 'se"cret-with-quote';
    const clean = withoutSecrets({ echo: `token ${odd}`, ok: true }, [odd]);
    assert.ok(!JSON.stringify(clean).includes('cret-with'));
  });
});
