'use strict';
// Loads nodes into the real Node-RED runtime through node-red-node-test-helper and serves RED.httpNode over real HTTP.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { translator } = require('./catalog');

helper.init(require.resolve('node-red'));

// The helper's RED._ returns the key itself; ours reads the package's own message catalogs, as Node-RED does.
const translate = translator();

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

module.exports = { helper, loadFlow, postRaw, collect, settle };
