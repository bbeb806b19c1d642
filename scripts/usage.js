'use strict';
// Every script answers --help (or -h) with its usage and exits 0, and a wrong option with the usage and exit 2,
// instead of a stack trace.
const { parseArgs } = require('node:util');

/** Prints `usage` and exits when the command line asks for help. */
function helpRequested(usage, argv = process.argv.slice(2)) {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  console.log(usage);
  process.exit(0);
}

/** node:util parseArgs, with --help handled and a parse error shown as a one-line message and the usage. */
function parseOptions(usage, config, argv = process.argv.slice(2)) {
  helpRequested(usage, argv);
  try {
    return parseArgs({ args: argv, ...config });
  } catch (err) {
    console.error(`${err.message}\n\n${usage}`);
    process.exit(2);
  }
}

module.exports = { helpRequested, parseOptions };

if (require.main === module) {
  helpRequested('scripts/usage.js is a module: the other scripts use it to answer --help. Nothing to run.');
  console.log('scripts/usage.js is a module: the other scripts use it to answer --help. Nothing to run.');
}
