'use strict';
// Counts in statuses go through i18n plural forms that every supported Node-RED's i18next reads.
const assert = require('node:assert');
const path = require('node:path');
const { translator } = require('../support/catalog');

const i18next3 = path.resolve(__dirname, '..', '..', 'node_modules', 'node-red-3', 'node_modules', 'i18next');

describe('status counts in plural forms', function () {
  const cases = [
    ['i18next 25 (Node-RED 4.1 and 5)', () => translator()],
    ['i18next 21 in v3 mode (Node-RED 3.1)', () => translator(require(i18next3), { compatibilityJSON: 'v3' })],
  ];
  for (const [name, make] of cases) {
    it(`says "1 duplicate" and "2 duplicates" with ${name}`, function () {
      const t = make();
      assert.equal(t('sales-webhook-in.status.duplicates', { count: 0 }), '0 duplicates');
      assert.equal(t('sales-webhook-in.status.duplicates', { count: 1 }), '1 duplicate');
      assert.equal(t('sales-webhook-in.status.duplicates', { count: 2 }), '2 duplicates');
    });
  }
});
