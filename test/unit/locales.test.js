'use strict';
// The message catalogs: counts through plural forms, read by the i18n of each Node-RED the package supports (3.1
// reads `key`/`key_plural` as they are; 4.1 and 5 migrate `_plural` to `_other`), and a label and an explanation
// for every state of the delivery log.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { DELIVERY_STATES } = require('../../dist/inbox/types');

const localesDir = path.resolve(__dirname, '..', '..', 'nodes', 'locales');
const catalogFiles = fs.readdirSync(path.join(localesDir, 'en-US')).filter((f) => f.endsWith('.json'));
const packageName = require('../../package.json').name;
const catalog = (file) => JSON.parse(fs.readFileSync(path.join(localesDir, 'en-US', file), 'utf8'));
/** [key path, text] of every string in a catalog. */
const entries = (object, prefix = '') =>
  Object.entries(object).flatMap(([key, value]) =>
    typeof value === 'object' ? entries(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value]],
  );

const nodeRedI18n = {
  3.1: require.resolve('node-red-3/node_modules/@node-red/util'),
  4.1: require.resolve('@node-red/util'),
};

describe('message catalogs', function () {
  it('count nothing with "(s)": every count has its plural forms, each with its singular', function () {
    for (const file of catalogFiles) {
      const texts = entries(catalog(file));
      const keys = new Set(texts.map(([key]) => key));
      for (const [key, text] of texts) {
        assert.doesNotMatch(text, /\w\(s\)/, `${file} ${key}`);
        if (key.endsWith('_plural')) assert.ok(keys.has(key.slice(0, -'_plural'.length)), `${file} ${key}`);
        // i18next v4 names (_one, _other) would be lost on Node-RED 3.1.
        assert.doesNotMatch(key, /_(zero|one|two|few|many|other)$/, `${file} ${key}`);
      }
    }
  });

  it('give each state of the delivery log, and only those, a label and an explanation', function () {
    const log = catalog('sales-webhooks-log.json')['sales-webhooks-log'];
    assert.deepEqual(Object.keys(log.state).sort(), [...DELIVERY_STATES].sort());
    assert.deepEqual(Object.keys(log.stateTip).sort(), [...DELIVERY_STATES].sort());
    for (const state of DELIVERY_STATES) assert.ok(log.stateTip[state].length > 20, state);
  });

  for (const [version, modulePath] of Object.entries(nodeRedI18n)) {
    it(`read by Node-RED ${version}'s own i18n, say "1 lead", "2 leads", "1 duplicate", "3 deliveries"`, async function () {
      // A fresh copy of that version's i18n module, so this test neither sees nor changes the one a runtime uses.
      // i18next too: its default instance is a singleton that another init would reconfigure for every user.
      const isI18n = (k) => k.startsWith(path.dirname(modulePath)) || /[\\/]i18next[\\/]/.test(k);
      const saved = Object.entries(require.cache).filter(([k]) => isI18n(k));
      saved.forEach(([k]) => delete require.cache[k]);
      const { i18n } = require(modulePath);
      Object.keys(require.cache)
        .filter(isI18n)
        .forEach((k) => delete require.cache[k]);
      saved.forEach(([k, module]) => (require.cache[k] = module));
      i18n.init({ lang: 'en-US' });
      await Promise.all(
        catalogFiles.map((f) => i18n.registerMessageCatalog(`${packageName}/${f.slice(0, -5)}`, localesDir, f)),
      );
      const say = (key, params) => i18n._(`${packageName}/${key.split('.')[0]}:${key}`, params);
      // The runtime passes the counts as strings, as the nodes do.
      assert.equal(say('sales-lead-map.status.counts', { leads: '1', failed: '0' }), '1 lead · 0 failed');
      assert.equal(say('sales-lead-map.status.counts', { leads: '2', failed: '1' }), '2 leads · 1 failed');
      assert.equal(
        say('sales-webhook-in.status.counts', { accepted: '1', rejected: '0', duplicates: '1' }),
        '1 accepted · 0 rejected · 1 duplicate',
      );
      assert.equal(
        say('sales-webhook-in.status.counts', { accepted: '1', rejected: '0', duplicates: '0' }),
        '1 accepted · 0 rejected · 0 duplicates',
      );
      assert.equal(say('sales-webhooks-log.notify.replayed', { count: 3 }), '3 deliveries will be emitted again.');
      assert.equal(say('sales-webhooks-log.notify.replayed', { count: 1 }), '1 delivery will be emitted again.');
    });
  }
});
