'use strict';
// No dialog retypes a runtime constant: every literal in the editor's code (editor/*.js, parsed) and templates
// (nodes/*.html) is compared with the values the runtime holds. A list member may be named in a comparison
// (`state === 'rejected'`); anywhere else, and any default, pattern, topic, limit or colour, it must come from
// SalesWebhooksEditor.facts.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const { editorFacts } = require('../../dist/editorFacts');
const { DELIVERY_STATES } = require('../../dist/inbox/types');
const { MAX_LIST_LIMIT } = require('../../dist/log/filter');
const { listProviders } = require('../../dist/providers/registry');
const { CRM_SYSTEMS } = require('../../dist/crm/settings');
const { FIELD_NAME } = require('../../dist/leadmap/engine');
const { HEADER_NAME_PATTERN } = require('../../dist/shared/headerName');

const root = path.resolve(__dirname, '..', '..');
// The CRM dialogs are converted on their own branch (crm-editor); empty this list when it is merged.
const CONVERTED_ELSEWHERE = [];
// A list of one dialog's own field names is that dialog's business: another dialog may have a field of that name.
const LIST_OWNERS = {
  'facts.sourceDialog.fields': 'sales-webhook-source',
  // POST, PUT, PATCH are also every dialog's own request methods.
  'facts.crmDialogs.httpApiMethods': 'sales-crm-out',
};
const nameIn = (constants, value, file) => {
  const list = constants.names.get(value);
  if (!list || (LIST_OWNERS[list] && path.basename(file).split('.')[0] !== LIST_OWNERS[list])) return undefined;
  return list;
};
// Strings that are also jQuery's or the DOM's own words, where a runtime name only happens to coincide.
const DOM_OPTION_KEYS = new Set(['dataType', 'contentType', 'method', 'type', 'preserveAspectRatio']);

/** What the runtime holds: names (members of its lists), values (defaults, topics, limits, colours) and patterns. */
function runtimeConstants() {
  const names = new Map();
  const values = new Map();
  const patterns = new Map([
    [FIELD_NAME.source, 'the lead field-name pattern'],
    [HEADER_NAME_PATTERN.source, 'the header-name pattern'],
  ]);
  const addName = (name, where) => names.set(name, where);
  const walk = (value, where) => {
    if (where === 'facts.versions') return; // small integers; a version is read with currentVersion()
    if (where.endsWith('.type') && (value === 'password' || value === 'text')) return; // Node-RED's credential types
    if (Array.isArray(value)) {
      for (const item of value) {
        if (typeof item === 'string') addName(item, where);
        else walk(item, `${where}[]`);
      }
    } else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) walk(child, `${where}.${key}`);
    } else if (typeof value === 'string' && /Pattern$/.test(where)) {
      patterns.set(value, where);
    } else if ((typeof value === 'string' && value.length >= 3) || (typeof value === 'number' && value >= 10)) {
      values.set(value, where);
      if (typeof value === 'number') settingNames.add(normalise(where.split('.').pop()));
    }
  };
  walk(editorFacts(), 'facts');
  // Lists and limits read straight from their modules, so one the facts forgot is checked too.
  for (const state of DELIVERY_STATES) addName(state, 'DELIVERY_STATES');
  for (const provider of listProviders()) addName(provider.id, 'the provider registry');
  for (const system of CRM_SYSTEMS) addName(system, 'CRM_SYSTEMS');
  values.set(MAX_LIST_LIMIT, 'MAX_LIST_LIMIT');
  settingNames.add(normalise('MAX_LIST_LIMIT'));
  // A name is also a value: as a default it must come from the facts too.
  return { names, values, patterns };
}

const isComparison = (node) =>
  ts.isBinaryExpression(node.parent) &&
  [
    ts.SyntaxKind.EqualsEqualsEqualsToken,
    ts.SyntaxKind.ExclamationEqualsEqualsToken,
    ts.SyntaxKind.EqualsEqualsToken,
    ts.SyntaxKind.ExclamationEqualsToken,
  ].includes(node.parent.operatorToken.kind);
const isDomOption = (node) =>
  ts.isPropertyAssignment(node.parent) &&
  node.parent.initializer === node &&
  DOM_OPTION_KEYS.has(node.parent.name.getText());

// A number is a setting where it is given a name: a Node-RED default (`value: 300`), or a property or variable named
// as the fact it equals (`maxBytes: 1048576`, `var LIST_LIMIT = 200`); elsewhere 300 may well be milliseconds.
const normalise = (name) => name.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
function namesSetting(node) {
  const holder = node.parent;
  const name =
    (ts.isPropertyAssignment(holder) || ts.isVariableDeclaration(holder)) && holder.initializer === node
      ? holder.name.getText()
      : undefined;
  return name !== undefined && (name === 'value' || settingNames.has(normalise(name)));
}
const settingNames = new Set();

/** Every literal of a script that equals a runtime constant, with its line and what it retypes. */
function retypedInScript(file, text, constants) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const found = [];
  const report = (node, what) =>
    found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${node.getText()} (${what})`);
  const visit = (node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      const value = node.text;
      const list = nameIn(constants, value, file);
      if (list && (isComparison(node) || isDomOption(node))) return;
      if (constants.values.has(value)) report(node, constants.values.get(value));
      else if (constants.patterns.has(value)) report(node, constants.patterns.get(value));
      else if (list) report(node, `a member of ${list}`);
    } else if (ts.isNumericLiteral(node) && constants.values.has(Number(node.text)) && namesSetting(node)) {
      report(node, constants.values.get(Number(node.text)));
    } else if (ts.isRegularExpressionLiteral(node)) {
      const body = node.text.slice(1, node.text.lastIndexOf('/'));
      if (constants.patterns.has(body)) report(node, constants.patterns.get(body));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every attribute value, option text and style colour of a template that equals a runtime constant. */
function retypedInTemplate(file, text, constants) {
  const found = [];
  const lineOf = (index) => text.slice(0, index).split('\n').length;
  const check = (value, index, nameAllowed) => {
    const what =
      constants.values.get(value) ??
      constants.values.get(Number(value)) ??
      constants.patterns.get(value) ??
      (nameAllowed || !nameIn(constants, value, file) ? undefined : `a member of ${nameIn(constants, value, file)}`);
    if (what) found.push(`${file}:${lineOf(index)} "${value}" (${what})`);
  };
  // Ids, classes, styles, i18n keys and an input's HTML type are the template's own words.
  for (const m of text.matchAll(/\s([\w-]+)="([^"]*)"/g)) {
    if (!/^(id|class|style|for|type|step|src|list|data-i18n|data-template-name|data-help-name)$/.test(m[1]))
      check(m[2], m.index, false);
  }
  for (const m of text.matchAll(/<option\b[^>]*>([^<]+)<\/option>/g)) check(m[1].trim(), m.index, false);
  for (const m of text.matchAll(/#[0-9a-fA-F]{3,8}\b/g)) check(m[0], m.index, true);
  return found;
}

const dialogFiles = (dir, ext) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith(ext) && !CONVERTED_ELSEWHERE.includes(f.slice(0, -ext.length)))
    .map((f) => path.join(dir, f));

describe('the dialogs retype no runtime constant', function () {
  const constants = runtimeConstants();

  it('knows the constants it looks for', function () {
    // A check that finds nothing because it knows nothing would pass forever.
    for (const state of DELIVERY_STATES) assert.ok(constants.names.has(state), state);
    assert.ok(constants.values.has(editorFacts().deliveryLog.topic));
    assert.ok(constants.values.has(editorFacts().webhookIn.maxBytes));
    assert.ok(constants.patterns.has(FIELD_NAME.source));
  });

  it('finds each kind of retyping: a list member, a default, a pattern, a limit, an option, a colour', function () {
    const state = DELIVERY_STATES[0];
    const script = [
      `var states = ['${state}', '${DELIVERY_STATES[1]}'];`,
      `var topic = '${editorFacts().deliveryLog.topic}';`,
      `var ok = /${FIELD_NAME.source}/.test(name);`,
      `var MAX_LIST_LIMIT = ${MAX_LIST_LIMIT}, delay = ${MAX_LIST_LIMIT};`,
      `if (d.state === '${state}') {}`,
      `$.ajax({ dataType: 'json' });`,
    ].join('\n');
    const found = retypedInScript('probe.js', script, constants);
    assert.deepEqual(
      found.map((f) => f.split(' ')[0]),
      ['probe.js:1', 'probe.js:1', 'probe.js:2', 'probe.js:3', 'probe.js:4'],
      found.join('\n'),
    );
    const colour = editorFacts().deliveryLog.stateColours[state];
    const template = `<select id="p"><option value="${listProviders()[0].id}">x</option></select>\n<style>.s { background: ${colour}; }</style>`;
    assert.equal(retypedInTemplate('probe.html', template, constants).length, 2);
  });

  for (const file of dialogFiles('editor', '.js')) {
    it(`${file} reads them from SalesWebhooksEditor.facts`, function () {
      const found = retypedInScript(file, fs.readFileSync(path.join(root, file), 'utf8'), constants);
      assert.deepEqual(found, []);
    });
  }
  for (const file of dialogFiles('nodes', '.html')) {
    it(`${file} types none in its template`, function () {
      const found = retypedInTemplate(file, fs.readFileSync(path.join(root, file), 'utf8'), constants);
      assert.deepEqual(found, []);
    });
  }
});
