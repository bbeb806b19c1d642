'use strict';
// Starts a real redis-server (Debian's package) on a free loopback port with its append-only file fsynced at every
// write, in a temporary directory. Tests that need it skip when it is missing, unless CI is set: there, missing fails.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { onFreePort } = require('./free-port');
const os = require('node:os');
const path = require('node:path');

const { findSystemTool, requireSystemTool, REDIS_SERVER } = require('./system-tools');

const redisServerPath = () => findSystemTool(REDIS_SERVER);

/**
 * For a test that runs redis-server through something else (a bench script): true, or the test is skipped with one
 * line saying how to get it (a failure when CI is set), as startRedisServer does for the tests that start it here.
 */
function requireRedisServer(context) {
  return Boolean(requireSystemTool(context, REDIS_SERVER));
}

/**
 * Starts a server. `context` is the mocha hook's or test's `this`: without redis-server it skips (fails under CI), so
 * no test can forget the skip; `null` outside mocha (a bench), where a missing server is an error. Options: appendfsync ('always' by default), appendonly ('yes'), extra arguments, a port to reuse
 * (to start it again after stop()), a dir to reuse (to restart with its data).
 * Returns { url, port, dir, stop(), kill(), start(), logs() }.
 */
async function startRedisServer(context, { appendfsync = 'always', appendonly = 'yes', args = [], port, dir } = {}) {
  if (context === null) {
    if (!redisServerPath()) throw new Error(`no redis-server found: ${REDIS_SERVER.howToInstall}`);
  } else if (typeof context?.skip !== 'function') {
    throw new Error(
      'startRedisServer(this, options): pass the mocha context so that a machine without redis-server skips',
    );
  } else {
    requireRedisServer(context);
  }
  const dataDir = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'redis-test-'));
  let serverPort = port;
  let child;
  let output = '';
  const start = async () => {
    output = '';
    child = spawn(
      redisServerPath(),
      [
        '--port',
        String(serverPort),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--dir',
        dataDir,
        '--appendonly',
        appendonly,
        '--appendfsync',
        appendfsync,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const deadline = Date.now() + 10000;
    while (!/Ready to accept connections/.test(output)) {
      if (child.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const exit = (signal) =>
    new Promise((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  if (port) await start();
  else
    await onFreePort(async (free) => {
      serverPort = free;
      await start();
    });
  return {
    url: `redis://127.0.0.1:${serverPort}`,
    port: serverPort,
    dir: dataDir,
    start,
    /** Stops the server the way a crash would (SIGKILL): only what reached its AOF survives. */
    kill: () => exit('SIGKILL'),
    stop: () => exit('SIGTERM'),
    async remove() {
      const forked = child ? childrenOf(child.pid) : [];
      await exit('SIGKILL');
      if (dir) return;
      // A rewrite child Redis forked (BGREWRITEAOF after an erasure) outlives the kill and may add a file meanwhile.
      for (const pid of forked) killQuietly(pid);
      for (let attempt = 1; ; attempt++) {
        try {
          return fs.rmSync(dataDir, { recursive: true, force: true });
        } catch (err) {
          if (err.code !== 'ENOTEMPTY' || attempt === 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    logs: () => output,
    /** The server's process id (it changes with each start). */
    child: () => child.pid,
  };
}

/** The processes whose parent is `pid` (Linux's /proc; none elsewhere). */
function childrenOf(pid) {
  let entries = [];
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries.map(Number).filter((candidate) => {
    try {
      // The parent is the field after the command, which is in parentheses and may hold spaces.
      const stat = fs.readFileSync(`/proc/${candidate}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

function killQuietly(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

module.exports = { startRedisServer, requireRedisServer, redisServerPath };
