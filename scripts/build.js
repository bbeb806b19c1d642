#!/usr/bin/env node
// Compiles src/ to dist/ and copies the root icons/ beside the node files, where Node-RED looks for them.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
fs.cpSync(path.join(root, 'icons'), path.join(root, 'nodes', 'icons'), { recursive: true });
