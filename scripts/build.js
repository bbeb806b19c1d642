#!/usr/bin/env node
// Compiles src/ to dist/, copies the root icons/ beside the node files (where Node-RED looks for them) and
// writes help that lists every provider's events from the provider profiles, so the help cannot drift from the code.
'use strict';
require('./usage').helpRequested(`Usage: npm run build     (or: node scripts/build.js)

Compiles src/ to dist/, copies icons/ to nodes/icons/ and writes the help files in nodes/locales/ from help/ and the
provider profiles. npm install and npm test run it for you.`);
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
fs.cpSync(path.join(root, 'icons'), path.join(root, 'nodes', 'icons'), { recursive: true });

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const { describeProviders } = require(path.join(root, 'dist', 'providers', 'registry.js'));
const reference = describeProviders().map((provider) => {
  const events = provider.events.length
    ? `<ul>${provider.events.map((e) => `<li><code>${escape(e.type)}</code>: ${escape(e.description)}</li>`).join('')}</ul>`
    : '<p>Any JSON object: this generic scheme has no documented event list, so every event flows with <code>known: false</code>.</p>';
  return `<h4>${escape(provider.label)} (<code>${escape(provider.id)}</code>)</h4>\n<p>${escape(provider.description)}</p>\n${events}`;
}).join('\n');
const helpDir = path.join(root, 'help');
for (const file of fs.readdirSync(helpDir)) {
  const template = fs.readFileSync(path.join(helpDir, file), 'utf8');
  fs.writeFileSync(path.join(root, 'nodes', 'locales', 'en-US', file), template.replace('<!-- provider-reference -->', reference));
}
