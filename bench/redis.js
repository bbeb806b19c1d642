#!/usr/bin/env node
'use strict';
// npm run bench:redis (or npm run bench -- --redis): the durable inbox on SQLite in one Node-RED versus the shared inbox
// on one Redis (AOF, appendfsync always) with one and with two Node-RED instances, in the same run, interleaved rounds.
// Prints req/s, p50/p99, Node-RED CPU per request (summed over the instances), redis-server CPU per request, and the
// Redis memory each delivery held takes. Writes bench/results/redis-<time>.json and redis-latest.json.
//   --rounds N --requests N --connections N   (defaults 3, 5000, 20)
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseOptions } = require('../scripts/usage');
const { cpuSeconds } = require('./proc');
const { startNodeRed } = require('../test/support/real-node-red');
const { startRedisServer, redisServerPath } = require('../test/support/redis-server');
const { getLeadPreset } = require('../dist/providers/registry');

const SECRET = 'bench-hmac-secret-1c0ffee';
const PREFIX = 'bench';
const resultsDir = path.join(__dirname, 'results');

const USAGE = `Usage: npm run bench:redis [-- options]     (or: npm run bench -- --redis [options])

The durable inbox on SQLite in one Node-RED versus the shared inbox on one Redis (AOF, appendfsync always) with one
and with two Node-RED instances, in the same run: req/s, p50/p99, Node-RED and redis-server CPU per request, Redis
memory per delivery held. Needs redis-server (apt-get install redis-server).

Options:
  --rounds <n>          interleaved rounds (default 3)
  --requests <n>        requests per mode and round (default 5000)
  --connections <n>     concurrent connections (default 20)
  --out <file>          also write the results to this file
  -h, --help            this text`;

const { values: args } = parseOptions(USAGE, {
  options: {
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '20' },
    out: { type: 'string' },
    redis: { type: 'boolean', default: true },
  },
});

function flows(redisUrl) {
  const preset = getLeadPreset('saleassist:widget_new_conversation');
  const tab = 'bench-tab';
  const receiver = (id, url, store, y) => [
    {
      id: `${id}-in`,
      type: 'sales-webhook in',
      z: tab,
      url,
      source: 'src',
      maxBytes: 1048576,
      dedupe: true,
      dedupeHours: 24,
      inbox: true,
      store,
      version: 1,
      x: 120,
      y,
      wires: [[`${id}-map`], []],
    },
    {
      id: `${id}-map`,
      type: 'sales-lead-map',
      z: tab,
      preset: preset.id,
      mappings: preset.mappings,
      property: 'payload',
      split: false,
      splitPath: '',
      version: 1,
      x: 340,
      y,
      wires: [[], []],
    },
  ];
  return [
    { id: tab, type: 'tab', label: 'bench' },
    {
      id: 'src',
      type: 'sales-webhook-source',
      provider: 'hmac',
      prefix: 'sha256=',
      tolerance: 300,
      credentials: { secret: SECRET },
    },
    { id: 'redis', type: 'sales-webhook-redis', url: redisUrl, prefix: PREFIX, tls: false },
    // The same flow twice: the embedded inbox (a SQLite file per instance), and the Redis inbox shared by the instances.
    ...receiver('sqlite', '/bench/sqlite', '', 60),
    ...receiver('shared', '/bench/redis', 'redis', 120),
  ];
}

function load(url, count, connections) {
  const options = JSON.stringify({ url, kind: 'hmac', count, connections, secret: SECRET });
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(__dirname, 'load.js'), options],
      { maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`load generator failed: ${stderr || err.message}`));
        resolve(JSON.parse(stdout));
      },
    );
  });
}

/** Drives the path on each of `instances` at once (the requests split between them), like a load balancer would. */
async function measure(instances, urlPath, count, connections, redisPid) {
  const pids = instances.map((nr) => nr.process.pid);
  const before = pids.map((pid) => cpuSeconds(pid));
  const redisBefore = cpuSeconds(redisPid);
  const results = await Promise.all(
    instances.map((nr) =>
      load(
        `${nr.url}${urlPath}`,
        Math.floor(count / instances.length),
        Math.max(1, Math.floor(connections / instances.length)),
      ),
    ),
  );
  const total = results.reduce((s, r) => s + r.totalRequests, 0);
  const nodeRedCpu = pids.reduce((s, pid, i) => s + (cpuSeconds(pid) - before[i]), 0);
  return {
    totalRequests: total,
    // Both generators start together; the slower one ends the run.
    requestsPerSecond: total / Math.max(...results.map((r) => r.durationSeconds)),
    latencyP50: Math.max(...results.map((r) => r.latencyP50)),
    latencyP99: Math.max(...results.map((r) => r.latencyP99)),
    errors: results.reduce((s, r) => s + r.errors + r.timeouts, 0),
    non2xx: results.reduce((s, r) => s + r.non2xx, 0),
    nodeRedCpuMicrosPerRequest: Math.round((nodeRedCpu * 1e6) / Math.max(1, total)),
    redisCpuMicrosPerRequest: Math.round(((cpuSeconds(redisPid) - redisBefore) * 1e6) / Math.max(1, total)),
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function redisInfo(url, section) {
  const { createClient } = require('redis');
  const client = createClient({ url });
  await client.connect();
  try {
    return String(await client.sendCommand(['INFO', section]));
  } finally {
    await client.close();
  }
}
const infoNumber = (info, name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);

async function main() {
  if (!redisServerPath()) {
    console.error('The Redis bench needs redis-server: apt-get install redis-server');
    process.exit(1);
  }
  const rounds = Number(args.rounds);
  const count = Number(args.requests);
  const connections = Number(args.connections);
  fs.mkdirSync(resultsDir, { recursive: true });
  const redis = await startRedisServer(null);
  const instances = await Promise.all([startNodeRed(), startNodeRed()]);
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      nodeRed: require('node-red/package.json').version,
      redis: '',
    },
    settings: {
      rounds,
      requestsPerRun: count,
      connections,
      redis: 'appendonly yes, appendfsync always',
      loadGenerator: 'autocannon in separate processes',
    },
    modes: {},
  };
  try {
    report.machine.redis = /redis_version:(\S+)/.exec(await redisInfo(redis.url, 'server'))?.[1];
    const flow = flows(redis.url);
    await Promise.all(instances.map((nr) => nr.deploy(flow)));
    const memoryBefore = infoNumber(await redisInfo(redis.url, 'memory'), 'used_memory');
    const modes = {
      sqlite: {
        label: 'one instance, embedded inbox (SQLite, synchronous=FULL)',
        run: () => measure([instances[0]], '/bench/sqlite', count, connections, redis.child()),
      },
      redis1: {
        label: 'one instance, Redis inbox',
        run: () => measure([instances[0]], '/bench/redis', count, connections, redis.child()),
      },
      redis2: {
        label: 'two instances, one Redis inbox (load split evenly)',
        run: () => measure(instances, '/bench/redis', count, connections, redis.child()),
      },
    };
    // Warm-up.
    for (const mode of Object.values(modes))
      await measure(
        mode === modes.redis2 ? instances : [instances[0]],
        mode === modes.sqlite ? '/bench/sqlite' : '/bench/redis',
        Math.min(1000, count),
        connections,
        redis.child(),
      );
    const runs = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
    for (let round = 1; round <= rounds; round++)
      for (const [name, mode] of Object.entries(modes)) runs[name].push(await mode.run());
    for (const [name, list] of Object.entries(runs)) {
      report.modes[name] = {
        label: modes[name].label,
        requestsPerSecond: Math.round(median(list.map((r) => r.requestsPerSecond))),
        latencyP50: median(list.map((r) => r.latencyP50)),
        latencyP99: median(list.map((r) => r.latencyP99)),
        errors: list.reduce((s, r) => s + r.errors, 0),
        non2xx: list.reduce((s, r) => s + r.non2xx, 0),
        nodeRedCpuMicrosPerRequest: median(list.map((r) => r.nodeRedCpuMicrosPerRequest)),
        redisCpuMicrosPerRequest: median(list.map((r) => r.redisCpuMicrosPerRequest)),
        rounds: list.map((r) => Math.round(r.requestsPerSecond)),
      };
    }
    // What each delivery held costs the server: memory growth over the deliveries it now holds (records and streams).
    const memory = await redisInfo(redis.url, 'memory');
    const { RedisInboxStore } = require('../dist/inbox/redis');
    const store = new RedisInboxStore({ url: redis.url, prefix: PREFIX, consumer: 'bench-observer' });
    await store.ready();
    const held = Number(await store['client'].sendCommand(['ZCARD', `${PREFIX}:{shared-in}:index`]));
    const approximate = await store.heldBytes();
    await store.close();
    report.redisMemory = {
      deliveriesHeld: held,
      usedMemoryBytes: infoNumber(memory, 'used_memory'),
      bytesPerDelivery: Math.round((infoNumber(memory, 'used_memory') - memoryBefore) / Math.max(1, held)),
      storeCountedBytesPerDelivery: Math.round(approximate / Math.max(1, held)),
      aofBytes: infoNumber(await redisInfo(redis.url, 'persistence'), 'aof_current_size'),
    };
    report.redisMemory.aofBytesPerDelivery = Math.round(report.redisMemory.aofBytes / Math.max(1, held));
    const m = report.modes;
    console.table(
      Object.fromEntries(
        Object.entries(m).map(([n, r]) => [
          n,
          {
            'req/s': r.requestsPerSecond,
            'p50 ms': r.latencyP50,
            'p99 ms': r.latencyP99,
            errors: r.errors,
            'non-2xx': r.non2xx,
            'Node-RED CPU µs/req': r.nodeRedCpuMicrosPerRequest,
            'redis-server CPU µs/req': r.redisCpuMicrosPerRequest,
          },
        ]),
      ),
    );
    console.log(
      `Redis: ${report.redisMemory.deliveriesHeld} deliveries held, ${report.redisMemory.bytesPerDelivery} bytes of memory each (the store counts ${report.redisMemory.storeCountedBytesPerDelivery}), ${report.redisMemory.aofBytesPerDelivery} bytes of append-only file each`,
    );
  } finally {
    await Promise.all(
      instances.map(async (nr) => {
        await nr.remove();
      }),
    );
    await redis.remove();
  }
  const file = args.out ?? path.join(resultsDir, `redis-${report.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  if (!args.out) fs.writeFileSync(path.join(resultsDir, 'redis-latest.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  if (Object.values(report.modes).some((r) => r.errors || r.non2xx)) {
    console.error('errors or non-2xx answers: the figures are not valid');
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
