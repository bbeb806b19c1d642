'use strict';
// typescript-eslint's recommended rules for src/, plain recommended rules for the CommonJS scripts and tests.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

module.exports = tseslint.config(
  { ignores: ['dist/', 'nodes/', 'resources/', 'node_modules/', 'bench/results/', '.node-red-dev/', '.tmp/'] },
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      // Node-RED's registerType and node types are loosely typed; the casts are where they meet ours.
      '@typescript-eslint/no-explicit-any': 'off',
      // `const node = this` is how Node-RED node constructors are written (core nodes do the same).
      '@typescript-eslint/no-this-alias': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', ecmaVersion: 2022, globals: { ...globals.node, ...globals.mocha } },
    rules: { 'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }] },
  },
  {
    // Runs in the editor page: the dialogs' scripts, and the shared one that scripts/build.js wraps.
    files: ['editor/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        ...globals.browser,
        migrations: 'readonly',
        facts: 'readonly',
        $: 'readonly',
        RED: 'readonly',
        SalesWebhooksEditor: 'readonly',
      },
    },
  },
  {
    // Functions passed to page.evaluate run in the editor page.
    files: ['test/**/*.js', 'scripts/screenshot.js'],
    languageOptions: { globals: { ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
);
