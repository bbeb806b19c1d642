'use strict';
// Loads nodes into the real Node-RED runtime through node-red-node-test-helper and serves RED.httpNode over real HTTP.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { nodeRedPackage } = require('./real-node-red');

helper.init(require.resolve(nodeRedPackage));

const besideNodeRed = { paths: [require.resolve(`${nodeRedPackage}/package.json`)] };
// The i18n of the Node-RED under test: its runtime reuses this one's catalogs.
const { i18n } = require(require.resolve('@node-red/util', besideNodeRed));

/** One of Node-RED's core nodes (e.g. 'common/25-catch.js') from the Node-RED under test, not another version's. */
const coreNode = (file) => require(require.resolve(`@node-red/nodes/core/${file}`, besideNodeRed));

// The helper's RED._ returns the key itself; ours asks Node-RED's own i18n (plural forms, nesting), with the package's
// message catalogs registered under the namespaces Node-RED gives them (<module>/<node file>).
const catalogDir = path.resolve(__dirname, '..', '..', 'nodes', 'locales');
const packageName = require('../../package.json').name;
let catalogsRegistered;
// Again whenever another test re-initialised Node-RED's i18n in this process (which drops every catalog).
const registerCatalogs = () => {
  if (
    catalogsRegistered &&
    i18n._(`${packageName}/sales-webhook-in:sales-webhook-in.label.url`) !== 'sales-webhook-in.label.url'
  )
    return catalogsRegistered;
  catalogsRegistered = (async () => {
    await i18n.init({}); // once per process; the runtime's own start reuses it
    await Promise.all(
      fs
        .readdirSync(path.join(catalogDir, 'en-US'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => i18n.registerMessageCatalog(`${packageName}/${f.replace(/\.json$/, '')}`, catalogDir, f)),
    );
  })();
  return catalogsRegistered;
};
const translate = (key, params = {}) => i18n._(`${packageName}/${key.split('.')[0]}:${key}`, params);

/**
 * Loads `flow` with the given node modules and serves the runtime's httpNode app on a loopback port.
 * Each load gets its own user directory (so its own inbox database) unless `options.userDir` reuses one (a restart);
 * `options.settings` adds runtime settings.
 * Returns { baseUrl, app, userDir, close() }; call close() before helper.unload().
 */
async function loadFlow(nodeModules, flow, credentials = {}, options = {}) {
  const userDir = options.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sales-webhooks-helper-'));
  // Keeps what a test set with helper.settings() before loading.
  helper.settings({ ...helper.settings(), userDir, ...options.settings });
  let app;
  const modules = Array.isArray(nodeModules) ? nodeModules : [nodeModules];
  const capture = (RED) => {
    app = RED.httpNode;
    RED._ = translate;
    return modules[0](RED);
  };
  await registerCatalogs();
  await helper.load([capture, ...modules.slice(1)], flow, credentials);
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  return {
    app,
    server,
    baseUrl,
    userDir,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Posts exactly these bytes; returns { status, headers, body (string), json (parsed or undefined) }. */
function postRaw(url, { body = '', headers = {}, method = 'POST' } = {}) {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-length': bytes.length, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

/** Resolves with the next `count` messages a helper node receives (wire a `helper` node to the output). */
function collect(node, count = 1, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const messages = [];
    const timer = setTimeout(
      () => reject(new Error(`expected ${count} message(s), got ${messages.length}`)),
      timeoutMs,
    );
    node.on('input', (msg) => {
      messages.push(msg);
      if (messages.length === count) {
        clearTimeout(timer);
        resolve(messages);
      }
    });
  });
}

/** Resolves after `ms`, to prove that nothing arrived meanwhile. */
const settle = (ms = 150) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { helper, loadFlow, postRaw, collect, settle, coreNode };
