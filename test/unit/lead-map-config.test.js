'use strict';
// Presets at run time (rows win; no rows follow the preset) and each row's value for the dialog.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { effectiveMapping, rowValues } = require('../../dist/leadmap');
const { getLeadPreset } = require('../../dist/providers/registry');

const sample = (provider, event) =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'sample-events', provider, `${event}.json`), 'utf8'));
const row = (field, p, type = 'string', extra = {}) => ({
  field,
  path: p,
  type,
  required: false,
  default: '',
  ...extra,
});

describe('lead map configuration', function () {
  it("no rows and a preset: the preset's current rows and split path", function () {
    const preset = getLeadPreset('salesmagic:call.completed');
    assert.deepEqual(effectiveMapping({ preset: preset.id }, getLeadPreset), {
      mappings: preset.mappings,
      split: true,
      splitPath: preset.splitPath,
      from: 'preset',
    });
    assert.equal(
      effectiveMapping({ preset: preset.id, mappings: [], split: false }, getLeadPreset).split,
      true,
      "the preset's split, not the stored one",
    );
  });

  it('rows, when present, win; custom and unknown presets give only the stored rows', function () {
    const rows = [row('email', 'a')];
    assert.deepEqual(
      effectiveMapping(
        { preset: 'saleassist:widget_new_conversation', mappings: rows, split: false, splitPath: '' },
        getLeadPreset,
      ),
      { mappings: rows, split: false, splitPath: '', from: 'rows' },
    );
    assert.deepEqual(effectiveMapping({ preset: 'custom', mappings: [] }, getLeadPreset).mappings, []);
    assert.deepEqual(effectiveMapping({ preset: 'nosuch:event' }, getLeadPreset).mappings, []);
  });

  it("shows each row's value for the sample, or why it has none, even while another row is broken", function () {
    const rows = [
      row('email', 'payload.people_detail.email', 'email', { required: true }),
      row('score', 'payload.people_detail.name', 'number'),
      row('nothing', 'payload.people_detail.nowhere'),
      row('needed', 'payload.people_detail.nowhere', 'string', { required: true }),
      row('bad', 'payload[?(@.x ==)]'),
      row('city', 'payload.people_detail.widget_city'),
    ];
    const values = rowValues(rows, {}, sample('saleassist', 'widget_new_conversation'));
    assert.deepEqual(
      values.map((v) => v.row),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(values[0].value, 'prakashm@athenabpo.in');
    assert.match(values[1].reason, /number/);
    assert.deepEqual(values[2], { row: 3, value: undefined });
    assert.match(values[3].reason, /required/);
    assert.match(values[4].reason, /JSONPath/);
    assert.doesNotMatch(values[4].reason, /^row /, 'the row is shown beside it: no "row 5:" prefix');
    assert.equal(values[5].value, 'Faridabad');
  });

  it('reads split rows from the first record', function () {
    const preset = getLeadPreset('salesmagic:call.completed');
    const values = rowValues(
      preset.mappings,
      { split: true, splitPath: preset.splitPath },
      sample('salesmagic', 'call.completed'),
    );
    const fullName = values[preset.mappings.findIndex((r) => r.field === 'fullName')];
    assert.equal(fullName.value, 'Dana Whitfield');
  });
});
