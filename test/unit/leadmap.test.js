'use strict';
// The mapping engine alone: paths, types, names, split, errors and the safe evaluator.
const assert = require('node:assert/strict');
const {
  compileMapping,
  mapEvent,
  startMapping,
  toJsonPath,
  listPaths,
  MappingConfigError,
  migrateLeadMapConfig,
  coerce,
  MAX_LISTED_FAILURES,
} = require('../../dist/leadmap');

const row = (field, path, type = 'string', extra = {}) => ({
  field,
  path,
  type,
  required: false,
  default: '',
  ...extra,
});
const mapOne = (rows, event, source) => mapEvent(compileMapping(rows), event, source);

describe('lead mapping engine', function () {
  it("reads the documents' notation and JSONPath alike", function () {
    assert.equal(toJsonPath('payload.people_detail.email'), '$.payload.people_detail.email');
    assert.equal(toJsonPath('$.a.b'), '$.a.b');
    assert.equal(toJsonPath("['odd key']"), "$['odd key']");
    const event = { payload: { people_detail: { email: '  Prakashm@AthenaBPO.in ' } } };
    const a = mapOne([row('email', 'payload.people_detail.email', 'email')], event);
    const b = mapOne([row('email', '$.payload.people_detail.email', 'email')], event);
    assert.deepEqual(a, b);
    assert.equal(a.leads[0].email, 'prakashm@athenabpo.in');
  });

  it('coerces every type, and says why when it cannot', function () {
    assert.deepEqual(coerce(' 42 ', 'number'), { ok: true, value: 42 });
    assert.equal(coerce('forty', 'number').ok, false);
    assert.deepEqual(coerce('yes', 'boolean'), { ok: true, value: true });
    assert.deepEqual(coerce(0, 'boolean'), { ok: true, value: false });
    assert.equal(coerce('maybe', 'boolean').ok, false);
    assert.deepEqual(coerce('+44 20 7946 0958', 'phone'), { ok: true, value: '+442079460958' });
    assert.deepEqual(
      coerce('020 7946 0958', 'phone'),
      { ok: true, value: '020 7946 0958' },
      'no country code: kept as sent',
    );
    assert.deepEqual(coerce(1720694558068, 'date'), { ok: true, value: '2024-07-11T10:42:38.068Z' });
    assert.deepEqual(coerce(1720694558, 'date'), { ok: true, value: '2024-07-11T10:42:38.000Z' });
    assert.deepEqual(coerce('2025-02-07T02:55:00Z', 'date'), { ok: true, value: '2025-02-07T02:55:00.000Z' });
    assert.equal(coerce('next tuesday-ish', 'date').ok, false);
    assert.deepEqual(coerce('x', 'array'), { ok: true, value: ['x'] });
    assert.deepEqual(coerce({ a: 1 }, 'json'), { ok: true, value: { a: 1 } });
    assert.equal(coerce({ a: 1 }, 'string').ok, false);
    assert.match(coerce('not-an-email', 'email').reason, /not a valid email/);
  });

  it('puts standard fields on the lead and the rest in custom, with the source block', function () {
    const source = {
      provider: 'callcall',
      eventType: 'customer.qualified',
      eventId: 'evt_1',
      receivedAt: '2025-01-01T00:00:00.000Z',
    };
    const result = mapOne(
      [
        row('score', 'data.score', 'string'),
        row('tags', 'data.triggers', 'array'),
        row('customerId', 'data.customer_id'),
      ],
      { data: { score: '85', triggers: ['a', 'b'], customer_id: 'c1' } },
      source,
    );
    assert.deepEqual(result.leads[0], { score: 85, tags: ['a', 'b'], source, custom: { customerId: 'c1' } });
  });

  it('splits and joins names the same way every time', function () {
    assert.deepEqual(mapOne([row('fullName', 'n')], { n: '  Prakash   Mudhaliyar ' }).leads[0], {
      fullName: 'Prakash Mudhaliyar',
      firstName: 'Prakash',
      lastName: 'Mudhaliyar',
      source: {},
      custom: {},
    });
    assert.deepEqual(mapOne([row('fullName', 'n')], { n: 'Cher' }).leads[0], {
      fullName: 'Cher',
      firstName: 'Cher',
      source: {},
      custom: {},
    });
    assert.deepEqual(mapOne([row('firstName', 'f'), row('lastName', 'l')], { f: 'Ada', l: 'Lovelace' }).leads[0], {
      firstName: 'Ada',
      lastName: 'Lovelace',
      fullName: 'Ada Lovelace',
      source: {},
      custom: {},
    });
  });

  it('uses the default when a path finds nothing, and names every failing field', function () {
    const rows = [
      row('email', 'a.email', 'email', { required: true }),
      row('phone', 'a.phone', 'phone', { required: true }),
      row('score', 'a.score', 'number'),
      row('country', 'a.country', 'string', { default: 'India' }),
    ];
    const result = mapOne(rows, { a: { score: 'high' } });
    assert.deepEqual(result.leads, []);
    assert.deepEqual(
      result.failures.map((f) => `${f.row}:${f.field}`),
      ['1:email', '2:phone', '3:score'],
    );
    assert.match(result.failures[0].reason, /required/);
    assert.match(result.failures[2].reason, /number/);
    assert.equal(mapOne(rows.slice(3), {}).leads[0].country, 'India');
  });

  it('emits one lead per record in split mode, reading other rows from the whole event', function () {
    const rows = [
      row('fullName', 'call.prospects[*].name', 'string', { required: true }),
      row('owner', 'call.user.name'),
    ];
    const mapping = compileMapping(rows, { split: true });
    assert.equal(mapping.splitPath, '$.call.prospects[*]');
    const result = mapEvent(mapping, {
      call: { user: { name: 'Maria' }, prospects: [{ name: 'Dana W' }, { name: 'Sam O' }, { title: 'no name' }] },
    });
    assert.deepEqual(
      result.leads.map((l) => [l.fullName, l.custom.owner]),
      [
        ['Dana W', 'Maria'],
        ['Sam O', 'Maria'],
      ],
    );
    assert.deepEqual(
      result.failures.map((f) => f.field),
      ['fullName'],
    );
  });

  it('maps a split a slice at a time to the same leads and failures as all at once', function () {
    const mapping = compileMapping([row('email', 'people[*].email', 'email', { required: true })], { split: true });
    const people = Array.from({ length: 7 }, (_, i) => (i === 3 ? { name: 'no e-mail' } : { email: `p${i}@x.io` }));
    const sliced = startMapping(mapping, { people });
    const turns = [];
    while (sliced.next(3)) turns.push(sliced.leads.length);
    assert.deepEqual(turns, [3, 5], 'three records a turn, the one without an e-mail failing');
    const whole = mapEvent(mapping, { people });
    assert.deepEqual(sliced.leads, whole.leads);
    assert.deepEqual(sliced.failures, whole.failures);
    assert.equal(whole.leads.length, 6);
    // Without a split the event is one record; a split path that finds nothing has none, and says so.
    const single = startMapping(compileMapping([row('email', 'email', 'email')]), { email: 'a@x.io' });
    assert.equal(single.next(1), false);
    assert.equal(single.leads.length, 1);
    const none = startMapping(mapping, { people: [] });
    assert.equal(none.next(100), false);
    assert.deepEqual(none.leads, []);
    assert.match(none.failures[0].reason, /found no records/);
  });

  it('reports a failure shared by many records of a split once with their count, and at most 20 different ones', function () {
    const mapping = compileMapping(
      [row('email', 'people[*].email', 'email', { required: true }), row('score', 'people[*].score', 'number')],
      { split: true },
    );
    // 3,000 records without an e-mail, and 50 with scores that each fail differently (each value is in its reason).
    const people = [
      ...Array.from({ length: 3000 }, () => ({})),
      ...Array.from({ length: 50 }, (_, i) => ({ email: `p${i}@x.io`, score: `high ${i}` })),
    ];
    const { leads, failures } = mapEvent(mapping, { people });
    assert.equal(leads.length, 0);
    assert.equal(failures.length, MAX_LISTED_FAILURES + 1);
    assert.deepEqual(failures[0], {
      row: 1,
      field: 'email',
      path: 'people[*].email',
      reason: 'required, but the path found nothing',
      records: 3000,
    });
    assert.match(failures[1].reason, /high 0/);
    assert.equal(failures[1].records, undefined, 'one record');
    assert.deepEqual(failures[MAX_LISTED_FAILURES], {
      row: 0,
      field: '',
      path: '',
      reason: '31 more failures not listed',
      records: 31,
    });
  });

  it('quotes at most 80 characters of a wrong value in its reason', function () {
    const long = coerce(`${'x'.repeat(500000)}@`, 'email');
    assert.equal(long.reason, `not a valid email address: "${'x'.repeat(80)}"… (500001 characters)`);
    assert.equal(coerce('nope', 'email').reason, 'not a valid email address: "nope"');
  });

  it('refuses a lead of more than 1,000 tags before reading them', function () {
    const rows = [row('email', 'email', 'email'), row('tags', 'tags', 'array')];
    const over = mapOne(rows, { email: 'a@x.io', tags: Array.from({ length: 500000 }, () => 0) });
    assert.deepEqual(over.leads, []);
    assert.deepEqual(
      over.failures.map((f) => `${f.field}: ${f.reason}`),
      ['tags: Too big: expected array to have <=1000 items'],
    );
    assert.equal(mapOne(rows, { email: 'a@x.io', tags: ['a', 'b'] }).leads[0].tags.length, 2);
  });

  it('reports an unusable row at compile time with its number', function () {
    const thrown = (rows, options) => {
      try {
        compileMapping(rows, options);
      } catch (e) {
        assert.ok(e instanceof MappingConfigError);
        return e.message;
      }
      assert.fail('expected an error');
    };
    assert.match(thrown([]), /at least one mapping row/);
    assert.match(
      thrown([row('email', 'a'), row('phone', 'payload[?(@.x ==)]')]),
      /^row 2 \(phone\): the path is not valid JSONPath/,
    );
    assert.match(thrown([row('email', 'a[0')]), /^row 1 \(email\): the path has an unclosed bracket/);
    assert.match(thrown([row('', 'a')]), /^row 1: give the field a name/);
    assert.match(thrown([row('email', 'a', 'uuid')]), /unknown type/);
    assert.match(thrown([row('email', 'a'), row('email', 'b')]), /mapped twice/);
    assert.match(thrown([row('email', 'a')], { split: true }), /splitting needs a path/);
  });

  it('runs filters in the safe evaluator: no mapping can reach process or run code', function () {
    const event = {
      items: [
        { primary: true, email: 'a@b.co' },
        { primary: false, email: 'c@d.co' },
      ],
    };
    assert.equal(mapOne([row('email', 'items[?(@.primary)].email', 'email')], event).leads[0].email, 'a@b.co');
    globalThis.__leadMapPwned = false;
    const attack = [
      row('x', "$..[?(@.constructor.constructor('globalThis.__leadMapPwned = true; return process')())]", 'json'),
    ];
    let result;
    try {
      result = mapOne(attack, event);
    } catch {
      /* refusing to evaluate is fine too */
    }
    assert.equal(globalThis.__leadMapPwned, false);
    if (result) assert.ok(!JSON.stringify(result).includes('"pid"'));
  });

  it('lists every path of a sample with its value for the field picker', function () {
    assert.deepEqual(listPaths({ a: { b: [1, { c: 'x' }], 'odd key': true } }), [
      { path: 'a.b[0]', value: 1 },
      { path: 'a.b[1].c', value: 'x' },
      { path: "a['odd key']", value: true },
    ]);
  });

  it('migrates a configuration saved before versions existed', function () {
    const migrated = migrateLeadMapConfig({ mappings: [{ field: 'email', path: 'a' }] });
    assert.deepEqual(migrated, {
      version: 1,
      property: 'payload',
      preset: 'custom',
      splitPath: '',
      mappings: [{ field: 'email', path: 'a', type: 'string', required: false, default: '' }],
    });
    const current = { version: 1, property: 'data', mappings: [] };
    assert.equal(migrateLeadMapConfig(current), current);
  });
});

describe('plain paths take a short cut that must agree with jsonpath-plus', function () {
  const { JSONPath } = require('jsonpath-plus');
  const { plainSteps, toJsonPath } = require('../../dist/leadmap');
  const fs = require('node:fs');
  const path = require('node:path');
  it('gives the same value as jsonpath-plus for every path of every fixture', function () {
    const dir = path.join(__dirname, '..', '..', 'sample-events');
    let checked = 0;
    for (const provider of fs.readdirSync(dir).filter((d) => !d.includes('.'))) {
      for (const file of fs.readdirSync(path.join(dir, provider))) {
        const event = JSON.parse(fs.readFileSync(path.join(dir, provider, file), 'utf8'));
        for (const { path: p } of listPaths(event)) {
          const jsonPath = toJsonPath(p);
          const steps = plainSteps(jsonPath);
          assert.ok(steps, `${p} is a plain path`);
          const viaSteps = mapOne([row('x', p, 'json')], event).leads[0]?.custom.x;
          const [viaJsonPath] = JSONPath({ path: jsonPath, json: event, wrap: true, eval: 'safe' });
          const nothing =
            viaJsonPath === '' || viaJsonPath === null || (Array.isArray(viaJsonPath) && viaJsonPath.length === 0);
          assert.deepEqual(viaSteps, nothing ? undefined : viaJsonPath, p);
          checked++;
        }
      }
    }
    assert.ok(checked > 300, `${checked} paths checked`);
  });
});
