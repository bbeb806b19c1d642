'use strict';
// The facts written once and used by several modules: epoch times, numeric settings, header names, throttled status,
// and the constants the dialogs read from the runtime.
const assert = require('node:assert/strict');
const { epochToIso } = require('../../dist/shared/epoch');
const { positiveNumber } = require('../../dist/shared/numbers');
const { isHeaderName } = require('../../dist/shared/headerName');
const { throttledStatus } = require('../../dist/shared/throttledStatus');
const { sleepUntil } = require('../../dist/shared/clock');
const { editorFacts } = require('../../dist/editorFacts');
const { coerce, STANDARD_LEAD_FIELDS, MAPPING_TYPES } = require('../../dist/leadmap');
const { readEnvelope, getProvider } = {
  ...require('../../dist/providers/envelope'),
  ...require('../../dist/providers/registry'),
};

describe('shared rules', function () {
  it('sleepUntil never ends before the wall clock reaches its time (a timer does, about one time in 25)', async function () {
    // Timers run on a monotonic millisecond clock whose ticks are out of phase with Date.now()'s.
    let early = 0;
    for (let i = 0; i < 200; i++) {
      const jitter = performance.now() + Math.random();
      while (performance.now() < jitter);
      const at = Date.now() + 1;
      await sleepUntil(at);
      if (Date.now() < at) early++;
    }
    assert.equal(early, 0);
  });

  it('epoch seconds and milliseconds, as numbers or digits, become ISO 8601', function () {
    assert.equal(epochToIso(1738896900), '2025-02-07T02:55:00.000Z');
    assert.equal(epochToIso(1738896900000), '2025-02-07T02:55:00.000Z');
    assert.equal(epochToIso('1738896900'), '2025-02-07T02:55:00.000Z');
    assert.equal(epochToIso(' 1738896900000 '), '2025-02-07T02:55:00.000Z');
    assert.equal(epochToIso(NaN), undefined);
    assert.equal(epochToIso('2025-02-07'), undefined, 'text dates are not epochs');
    assert.equal(epochToIso(1e20), undefined, 'out of Date range');
    // The two users agree: the lead's date type and the envelope's occurredAt.
    assert.equal(coerce(1738896900, 'date').value, epochToIso(1738896900));
    assert.equal(
      readEnvelope(getProvider('recorder'), { event: 'meeting.ended', timestamp: 1738896900000 }, {}).occurredAt,
      '2025-02-07T02:55:00.000Z',
    );
  });

  it('numeric settings: empty means the default; anything not above zero is refused', function () {
    assert.equal(positiveNumber(undefined, 24), 24);
    assert.equal(positiveNumber('', 24), 24);
    assert.equal(positiveNumber(null, 24), 24);
    assert.equal(positiveNumber('12', 24), 12);
    assert.equal(positiveNumber(0.5, 24), 0.5);
    for (const bad of [0, -1, 'abc', Infinity, '1e999']) assert.equal(positiveNumber(bad, 24), undefined, String(bad));
  });

  it('header names follow RFC 9110 tokens', function () {
    for (const ok of ['x-webhook-token', 'Authorization', 'svix-signature', "x_a!#$%&'*+.^`|~"])
      assert.ok(isHeaderName(ok), ok);
    for (const bad of ['', 'x webhook', 'x:token', 'é', 'a\nb']) assert.ok(!isHeaderName(bad), JSON.stringify(bad));
  });

  it('a throttled status shows once per burst and can be cancelled', async function () {
    let shown = 0;
    const status = throttledStatus(() => shown++, 20);
    for (let i = 0; i < 50; i++) status.schedule();
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(shown, 1);
    status.schedule();
    status.cancel();
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(shown, 1);
  });

  it("the dialogs get the runtime's constants, not copies", function () {
    const facts = editorFacts();
    assert.deepEqual(facts.mappingTypes, [...MAPPING_TYPES]);
    assert.deepEqual(facts.standardLeadFields, [...STANDARD_LEAD_FIELDS]);
    assert.deepEqual(facts.leadSourceFields, [
      'source.provider',
      'source.eventType',
      'source.eventId',
      'source.receivedAt',
    ]);
    assert.equal(facts.webhookIn.maxBytes, 1048576);
    assert.equal(new RegExp(facts.headerNamePattern).test('x-webhook-token'), true);
    assert.equal(facts.versions['sales-crm-account'], 3);
    assert.equal(facts.crm.defaultApiVersions.hubspot, '2026-09');
    assert.equal(JSON.stringify(facts), JSON.stringify(JSON.parse(JSON.stringify(facts))), 'plain JSON');
  });
});
