'use strict';
// Provider profiles alone: every fixture against its schema, plain-words issues, envelopes, presets and the editor's view.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { JSONPath } = require('jsonpath-plus');
const { listProviders, describeProviders, listLeadPresets, getProvider } = require('../../dist/providers/registry');
const { readEnvelope, validateEvent } = require('../../dist/providers/envelope');
const { fixturesDir, SECRETS } = require('../support/senders');

const readFixture = (provider, eventType) =>
  JSON.parse(fs.readFileSync(path.join(fixturesDir, provider, `${eventType}.json`), 'utf8'));
const at = (json, p) => JSONPath({ path: p.startsWith('$') ? p : `$.${p}`, json, wrap: true, eval: 'safe' });

describe('provider profiles', function () {
  const platforms = listProviders().filter((p) => Object.keys(p.events).length > 0);

  it('cover the five platforms with every documented event', function () {
    const count = Object.fromEntries(platforms.map((p) => [p.id, Object.keys(p.events).length]));
    assert.deepEqual(count, { salescaling: 3, salesmagic: 6, recorder: 17, saleassist: 1, callcall: 4 });
  });

  for (const profile of platforms) {
    describe(profile.id, function () {
      for (const eventType of Object.keys(profile.events)) {
        it(`${eventType}: its fixture is valid, typed and enveloped`, function () {
          const body = readFixture(profile.id, eventType);
          assert.deepEqual(validateEvent(profile, eventType, body), { known: true, issues: [] });
          const envelope = readEnvelope(profile, body, {});
          assert.equal(envelope.eventType, eventType);
          if (profile.envelope.idPath) assert.ok(envelope.eventId, 'an event id');
          if (profile.envelope.occurredAtPath)
            assert.ok(!Number.isNaN(Date.parse(envelope.occurredAt)), `a time: ${envelope.occurredAt}`);
        });
      }

      it('lets unknown extra fields through, at every level', function () {
        const [eventType] = Object.keys(profile.events);
        const body = readFixture(profile.id, eventType);
        body.addedByThePlatformLater = { anything: [1, 2] };
        const nested = Object.values(body).find((v) => v && typeof v === 'object' && !Array.isArray(v));
        nested.alsoNew = true;
        assert.deepEqual(validateEvent(profile, eventType, body).issues, []);
      });

      it('flows an undocumented type as known=false, checked against the envelope only', function () {
        const body = readFixture(profile.id, Object.keys(profile.events)[0]);
        const typeKey = profile.envelope.typePath;
        body[typeKey] = 'something.new';
        assert.deepEqual(validateEvent(profile, 'something.new', body), { known: false, issues: [] });
        assert.equal(validateEvent(profile, 'something.new', { nothing: true }).issues.length > 0, true);
      });
    });
  }

  it('describes a broken field in plain words', function () {
    const saleassist = getProvider('saleassist');
    const body = readFixture('saleassist', 'widget_new_conversation');
    body.payload.people_detail.email = 42;
    assert.deepEqual(validateEvent(saleassist, 'widget_new_conversation', body).issues, [
      'payload.people_detail.email: expected string, got number',
    ]);
    delete body.payload.people_detail.email;
    assert.deepEqual(validateEvent(saleassist, 'widget_new_conversation', body).issues, [
      'payload.people_detail.email: expected string, but it is missing',
    ]);
    const salescaling = getProvider('salescaling');
    const signal = readFixture('salescaling', 'commercial_signal_detected');
    signal.payload.activityType = 'fax';
    assert.deepEqual(validateEvent(salescaling, 'commercial_signal_detected', signal).issues, [
      'payload.activityType: expected one of meeting, call, mail',
    ]);
    const salesmagic = getProvider('salesmagic');
    const call = readFixture('salesmagic', 'call.completed');
    call.payload.call.prospects[1].id = null;
    assert.deepEqual(validateEvent(salesmagic, 'call.completed', call).issues, [
      'payload.call.prospects[1].id: expected string, got null',
    ]);
  });

  it("checks the first 1,000 elements of an event's array: a long valid one is valid, a long wrong one costs no more", function () {
    const salesmagic = getProvider('salesmagic');
    const call = readFixture('salesmagic', 'call.completed');
    call.payload.call.prospectIds = Array.from({ length: 500000 }, () => 0);
    const { issues } = validateEvent(salesmagic, 'call.completed', call);
    assert.equal(issues[0], 'payload.call.prospectIds[0]: expected string, got number');
    // 20 described and the rest counted: 1,000 checked, not 500,000.
    assert.equal(issues.at(-1), '… and 980 more');
    call.payload.call.prospectIds = Array.from({ length: 500000 }, (_, i) => (i < 1000 ? `p${i}` : 0));
    assert.deepEqual(validateEvent(salesmagic, 'call.completed', call).issues, []);
    // Every array of the schemas, the transcript too (written over two lines, it was missed once).
    call.payload.call.transcript = Array.from({ length: 500000 }, () => 0);
    assert.equal(validateEvent(salesmagic, 'call.completed', call).issues.at(-1), '… and 980 more');
  });

  it('does not demand data shapes a document never showed, but checks them when present', function () {
    const recorder = getProvider('recorder');
    const base = { event: 'meeting.started', timestamp: '2024-01-18T15:00:05Z' };
    assert.deepEqual(validateEvent(recorder, 'meeting.started', { ...base, data: { meeting_id: 789 } }).issues, []);
    assert.deepEqual(
      validateEvent(recorder, 'meeting.started', { ...base, data: { meeting: { title: 'x' } } }).issues,
      ['data.meeting.id: expected number or string, but it is missing'],
    );
    assert.deepEqual(validateEvent(recorder, 'meeting.started', { ...base, data: { meeting: { id: true } } }).issues, [
      'data.meeting.id: expected number or string, got boolean',
    ]);
    // Shown in the document: required.
    assert.deepEqual(
      validateEvent(recorder, 'recording.created', { event: 'recording.created', timestamp: base.timestamp, data: {} })
        .issues,
      ['data.recording: expected object, but it is missing'],
    );
  });

  it('reads ids and types from headers where a provider keeps them there', function () {
    const github = getProvider('github');
    assert.deepEqual(readEnvelope(github, { zen: 'hi' }, { 'x-github-event': 'ping', 'x-github-delivery': 'd-1' }), {
      eventType: 'ping',
      eventId: 'd-1',
      occurredAt: undefined,
    });
  });

  it('turns epoch times into ISO 8601 and keeps text times as sent', function () {
    const stripe = getProvider('stripe');
    assert.equal(
      readEnvelope(stripe, { type: 'x', id: 'evt', created: 1700000000 }, {}).occurredAt,
      '2023-11-14T22:13:20.000Z',
    );
    const salesmagic = getProvider('salesmagic');
    assert.equal(
      readEnvelope(salesmagic, { timestamp: '2025-01-14T04:22:51.548816074' }, {}).occurredAt,
      '2025-01-14T04:22:51.548816074',
    );
  });

  it("every preset reads paths that exist in its event's fixture", function () {
    const presets = listLeadPresets();
    assert.ok(presets.length >= 5);
    for (const preset of presets) {
      const body = readFixture(preset.provider, preset.eventType);
      const found = preset.mappings.filter((row) => at(body, row.path).length > 0).map((row) => row.field);
      for (const row of preset.mappings.filter((r) => r.required))
        assert.ok(found.includes(row.field), `${preset.id}: ${row.path}`);
      assert.ok(found.length >= Math.min(3, preset.mappings.length), `${preset.id} finds too little: ${found}`);
      if (preset.splitPath) assert.ok(at(body, preset.splitPath).length >= 1, `${preset.id}: ${preset.splitPath}`);
    }
  });

  it('gives the editor a JSON description with no schema and no secret', function () {
    const text = JSON.stringify(describeProviders());
    const described = JSON.parse(text);
    assert.equal(described.length, listProviders().length);
    for (const secret of Object.values(SECRETS)) assert.ok(!text.includes(secret));
    const saleassist = described.find((p) => p.id === 'saleassist');
    assert.deepEqual(saleassist.fields, ['token', 'headerName']);
    assert.deepEqual(
      saleassist.presets.map((p) => p.id),
      ['saleassist:widget_new_conversation'],
    );
  });
});
