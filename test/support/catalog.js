'use strict';
// The package's message catalogs read by i18next with Node-RED's options, as RED._ reads them: plural forms included.
const fs = require('node:fs');
const path = require('node:path');

const catalogDir = path.resolve(__dirname, '..', '..', 'nodes', 'locales', 'en-US');

function readCatalog() {
  return Object.assign(
    {},
    ...fs
      .readdirSync(catalogDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(catalogDir, f), 'utf8'))),
  );
}

/**
 * A translate function over the catalogs with the given i18next module (Node-RED 4.1 and 5 use i18next 25, which
 * reads key_one/key_other; Node-RED 3.1 uses i18next 21 with compatibilityJSON v3, which reads key/key_plural).
 */
function translator(i18next = require('i18next'), extraOptions = {}) {
  const instance = i18next.createInstance();
  instance.init({
    initImmediate: false,
    initAsync: false,
    showSupportNotice: false,
    lng: 'en-US',
    fallbackLng: 'en-US',
    defaultNS: 'catalog',
    ns: ['catalog'],
    keySeparator: '.',
    nsSeparator: ':',
    interpolation: { escapeValue: false, prefix: '__', suffix: '__' },
    resources: { 'en-US': { catalog: readCatalog() } },
    ...extraOptions,
  });
  return (key, params = {}) => instance.t(key, params);
}

module.exports = { translator, readCatalog };
