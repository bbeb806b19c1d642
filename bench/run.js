#!/usr/bin/env node
'use strict';
// npm run bench: five flows, each in a real Node-RED of its own (default settings), driven in interleaved rounds by
// autocannon in a separate process. Prints req/s, p50/p99, errors, non-2xx and peak RSS per flow, and the ratios
// ours/echo and ours/hand-built; for ours, with the durable inbox on (FULL sync, group commit) and off, and the
// inbox's fsyncs per second and mean group size (read from the stores' counters, which Node-RED serves when
// SALES_WEBHOOKS_INBOX_STATS=1); writes bench/results/<time>.json and latest.json.
//   --rounds N --requests N --connections N   (defaults 5, 20000, 20)
//   --soak      200,000 requests to ours (inbox on), RSS at start, middle and end, and the database's size
//   --profile   run Node-RED with --cpu-prof and print where ours spends its time
//   --flows ours,oursSvix   drive only these flows (for profiling one path)
//   --redis     the shared inbox instead: SQLite vs one and two instances on Redis (bench/redis.js, its own options)
//   --baseline <dir>[,<dir>]   also drive ours (inbox on and off) of another built checkout (an older version), each
//               flow in a Node-RED of its own, interleaved with the rest: a comparison within the same run
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseOptions } = require('../scripts/usage');
const { cpuSeconds, rssMiB } = require('./proc');

const USAGE = `Usage: npm run bench [-- options]     (or: node bench/run.js [options] after npm run build)

Drives five flows, each in a real Node-RED of its own, with autocannon and prints req/s, latency, errors, CPU and
RSS per flow.

Options:
  --rounds <n>          interleaved rounds (default 5)
  --requests <n>        requests per flow and round (default 20000)
  --connections <n>     concurrent connections (default 20)
  --soak                200,000 requests to ours; RSS at start, middle and end
  --profile             run Node-RED with --cpu-prof and print where ours spends its time
  --flows <list>        only these flows, comma-separated: echo, hand, ours, oursNoInbox, oursSvix
  --baseline <dirs>     also drive ours (inbox on and off) of these built checkouts, comma-separated (e.g. an
                        older version: git archive <commit> | tar -x -C <dir>, then npm run build there), each flow in
                        a Node-RED of its own, interleaved with the rest; reported as ours@<dir name>
  --out <file>          also write the results to this file
  --redis               the shared inbox instead: SQLite vs one and two instances on Redis (see --redis --help)
  -h, --help            this text`;

const SECRET = 'bench-hmac-secret-1c0ffee';
const SVIX_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const resultsDir = path.join(__dirname, 'results');

if (process.argv.includes('--redis')) {
  require('./redis.js');
  return;
}

const { values: args } = parseOptions(USAGE, {
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '20' },
    soak: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    flows: { type: 'string' },
    baseline: { type: 'string' },
  },
});
/** Flows driven on each --baseline checkout: the receiving path with the inbox on and off. */
const BASELINE_FLOWS = ['ours', 'oursNoInbox'];
// Loaded after the options, so --help works before a build.
const { startNodeRed } = require('../test/support/real-node-red');
const { getLeadPreset } = require('../dist/providers/registry');

const HAND_BUILT = `
const raw = msg.payload;
const signature = String(msg.req.headers['x-signature'] || '').replace(/^sha256=/, '');
const expected = crypto.createHmac('sha256', ${JSON.stringify(SECRET)}).update(raw).digest('hex');
if (signature.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
    msg.statusCode = 401;
    msg.payload = { error: 'bad signature' };
    return msg;
}
const event = JSON.parse(raw.toString('utf8'));
const person = (event.payload && event.payload.people_detail) || {};
msg.lead = { email: String(person.email || '').trim().toLowerCase(), phone: person.mobile_number, fullName: person.name, city: person.widget_city };
msg.statusCode = 200;
msg.payload = { received: true };
return msg;`;

function flows() {
  const saleassist = getLeadPreset('saleassist:widget_new_conversation');
  const salesmagic = getLeadPreset('salesmagic:call.completed');
  const tab = 'bench-tab';
  return [
    { id: tab, type: 'tab', label: 'bench' },
    // (a) Node-RED's own echo: http in → http response.
    {
      id: 'echo-in',
      type: 'http in',
      z: tab,
      url: '/bench/echo',
      method: 'post',
      upload: false,
      skipBodyParsing: false,
      swaggerDoc: '',
      x: 120,
      y: 60,
      wires: [['echo-out']],
    },
    { id: 'echo-out', type: 'http response', z: tab, statusCode: '200', headers: {}, x: 320, y: 60, wires: [] },
    // (b) What a user builds by hand today: raw body, HMAC and field picking in a function node.
    {
      id: 'hand-in',
      type: 'http in',
      z: tab,
      url: '/bench/hand',
      method: 'post',
      upload: false,
      skipBodyParsing: true,
      swaggerDoc: '',
      x: 120,
      y: 120,
      wires: [['hand-fn']],
    },
    {
      id: 'hand-fn',
      type: 'function',
      z: tab,
      name: 'verify + map',
      func: HAND_BUILT,
      outputs: 1,
      libs: [{ var: 'crypto', module: 'crypto' }],
      x: 320,
      y: 120,
      wires: [['hand-out']],
    },
    { id: 'hand-out', type: 'http response', z: tab, statusCode: '', headers: {}, x: 520, y: 120, wires: [] },
    // (c) Ours: HMAC verification, duplicate suppression, validation → the SaleAssist preset.
    {
      id: 'ours-src',
      type: 'sales-webhook-source',
      provider: 'hmac',
      prefix: 'sha256=',
      tolerance: 300,
      credentials: { secret: SECRET },
    },
    {
      id: 'ours-in',
      type: 'sales-webhook in',
      z: tab,
      url: '/bench/ours',
      source: 'ours-src',
      maxBytes: 1048576,
      dedupe: true,
      dedupeHours: 24,
      dedupeLimit: 50000,
      version: 1,
      x: 120,
      y: 180,
      wires: [['ours-map'], []],
    },
    {
      id: 'ours-map',
      type: 'sales-lead-map',
      z: tab,
      preset: saleassist.id,
      mappings: saleassist.mappings,
      property: 'payload',
      split: false,
      splitPath: '',
      version: 1,
      x: 340,
      y: 180,
      wires: [[], []],
    },
    // (c') The same with the inbox off: answered before anything is stored.
    {
      id: 'off-in',
      type: 'sales-webhook in',
      z: tab,
      url: '/bench/ours-off',
      source: 'ours-src',
      maxBytes: 1048576,
      dedupe: true,
      dedupeHours: 24,
      dedupeLimit: 50000,
      inbox: false,
      version: 1,
      x: 120,
      y: 300,
      wires: [['off-map'], []],
    },
    {
      id: 'off-map',
      type: 'sales-lead-map',
      z: tab,
      preset: saleassist.id,
      mappings: saleassist.mappings,
      property: 'payload',
      split: false,
      splitPath: '',
      version: 1,
      x: 340,
      y: 300,
      wires: [[], []],
    },
    // (d) Ours with Svix signatures and SalesMagic's call.completed, one lead per prospect.
    {
      id: 'svix-src',
      type: 'sales-webhook-source',
      provider: 'salesmagic',
      tolerance: 300,
      credentials: { secret: SVIX_SECRET },
    },
    {
      id: 'svix-in',
      type: 'sales-webhook in',
      z: tab,
      url: '/bench/svix',
      source: 'svix-src',
      maxBytes: 1048576,
      dedupe: true,
      dedupeHours: 24,
      dedupeLimit: 50000,
      version: 1,
      x: 120,
      y: 240,
      wires: [['svix-map'], []],
    },
    {
      id: 'svix-map',
      type: 'sales-lead-map',
      z: tab,
      preset: salesmagic.id,
      mappings: salesmagic.mappings,
      property: 'payload',
      split: true,
      splitPath: salesmagic.splitPath,
      version: 1,
      x: 340,
      y: 240,
      wires: [[], []],
    },
  ];
}

/**
 * The nodes of one target's flow. Each target runs in a Node-RED of its own: in a shared one, each flow's CPU also
 * paid for collecting the garbage of the others' state, and ours shared its inbox file and writer with Svix's.
 */
function flowOf(name) {
  const [tab, ...nodes] = flows();
  const { nodeIds } = TARGETS[name];
  return [tab, ...nodes.filter((n) => nodeIds.some((prefix) => n.id.startsWith(prefix)))];
}

const TARGETS = {
  // nodeIds: the prefixes of the ids of its nodes in flows().
  echo: { path: '/bench/echo', kind: 'hmac', nodeIds: ['echo-'], label: 'http in → http response (echo)' },
  hand: {
    path: '/bench/hand',
    kind: 'hmac',
    nodeIds: ['hand-'],
    label: 'hand-built: raw http in → function (HMAC, parse, pick) → http response',
  },
  ours: {
    path: '/bench/ours',
    kind: 'hmac',
    inbox: true,
    nodeIds: ['ours-'],
    label: 'ours: sales-webhook in (HMAC, dedupe, inbox on) → sales-lead-map (SaleAssist)',
  },
  oursNoInbox: {
    path: '/bench/ours-off',
    kind: 'hmac',
    // Its source config node is ours's.
    nodeIds: ['off-', 'ours-src'],
    label: 'ours, inbox off: sales-webhook in (HMAC, dedupe in memory) → sales-lead-map (SaleAssist)',
  },
  oursSvix: {
    path: '/bench/svix',
    kind: 'svix',
    inbox: true,
    nodeIds: ['svix-'],
    label: 'ours: sales-webhook in (Svix, dedupe, inbox on) → sales-lead-map (SalesMagic split)',
  },
};

function load(url, kind, count, connections) {
  const options = JSON.stringify({ url, kind, count, connections, secret: kind === 'svix' ? SVIX_SECRET : SECRET });
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

/** The inbox's group-commit counters (commits = fsyncs, writes), summed over the stores in use. */
async function inboxStats(nodeRed) {
  const res = await fetch(`${nodeRed.url}/sales-webhooks/inbox-stats`);
  if (!res.ok) return { commits: 0, writes: 0 };
  const { stores } = await res.json();
  return stores.reduce((sum, s) => ({ commits: sum.commits + s.commits, writes: sum.writes + s.writes }), {
    commits: 0,
    writes: 0,
  });
}

async function measure(nodeRed, name, count, connections) {
  const target = TARGETS[name];
  const pid = nodeRed.process.pid;
  let peak = rssMiB(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 200);
  try {
    const statsBefore = await inboxStats(nodeRed);
    const cpuBefore = cpuSeconds(pid);
    const mainBefore = cpuSeconds(pid, { mainThread: true });
    const result = await load(`${nodeRed.url}${target.path}`, target.kind, count, connections);
    // Node-RED's own CPU per request (its inbox writer thread included): unlike req/s, it does not depend on how fast
    // the load generator can go.
    const perRequest = (seconds) => Math.round((seconds * 1e6) / Math.max(1, result.totalRequests));
    const cpuMicrosPerRequest = perRequest(cpuSeconds(pid) - cpuBefore);
    const mainThreadMicrosPerRequest = perRequest(cpuSeconds(pid, { mainThread: true }) - mainBefore);
    const statsAfter = await inboxStats(nodeRed);
    const commits = statsAfter.commits - statsBefore.commits;
    const writes = statsAfter.writes - statsBefore.writes;
    const inbox = target.inbox
      ? {
          fsyncsPerSecond: Math.round(commits / result.durationSeconds),
          // Writes per commit: each delivery is stored (accept) and then marked emitted, and lead map notes its lead.
          meanGroupSize: commits ? +(writes / commits).toFixed(1) : 0,
          deliveriesPerFsync: commits ? +(result.totalRequests / commits).toFixed(1) : 0,
        }
      : undefined;
    return {
      ...result,
      cpuMicrosPerRequest,
      mainThreadMicrosPerRequest,
      peakRssMiB: Math.round(Math.max(peak, rssMiB(pid)) * 10) / 10,
      inbox,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** The inbox file and its write-ahead log, in MiB. */
function databaseMiB(userDir) {
  const size = (f) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  const file = path.join(userDir, 'sales-webhooks.db');
  return +((size(file) + size(`${file}-wal`)) / 2 ** 20).toFixed(1);
}

const selected = () => (args.flows ? args.flows.split(',') : Object.keys(TARGETS)).filter((n) => TARGETS[n]);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    nodeRed: require('node-red/package.json').version,
    platform: `${os.type()} ${os.release()}`,
  };
}

/** A Node-RED of its own for one flow, with the package of another built checkout installed (a link, as npm does). */
async function startBaseline(dir, name) {
  const root = path.resolve(dir);
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) throw new Error(`--baseline ${dir}: not built (no dist/)`);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-sales-webhooks-baseline-'));
  fs.mkdirSync(path.join(userDir, 'node_modules'));
  fs.symlinkSync(root, path.join(userDir, 'node_modules', 'node-red-contrib-sales-webhooks'), 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', private: true, dependencies: {} }),
  );
  const nodeRed = await startNodeRed({ userDir, install: 'installed', env: { SALES_WEBHOOKS_INBOX_STATS: '1' } });
  await nodeRed.deploy(flowOf(name));
  return { label: path.basename(root), name, nodeRed };
}

async function main() {
  const rounds = Number(args.rounds);
  const count = Number(args.requests);
  const connections = Number(args.connections);
  const nodeArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}`] : [];
  fs.mkdirSync(resultsDir, { recursive: true });
  const names = args.soak ? ['ours'] : selected();
  // The profile is of ours, or of the one flow driven.
  const profiled = names.includes('ours') ? 'ours' : names[0];
  const nodeReds = new Map();
  const baselines = [];
  const report = {
    date: new Date().toISOString(),
    machine: machine(),
    settings: { rounds, requestsPerRun: count, connections, loadGenerator: 'autocannon in a separate process' },
    flows: {},
  };
  try {
    for (const name of names) {
      const nodeRed = await startNodeRed({
        nodeArgs: name === profiled ? nodeArgs : [],
        env: { SALES_WEBHOOKS_INBOX_STATS: '1' },
      });
      nodeReds.set(name, nodeRed);
      await nodeRed.deploy(flowOf(name));
    }
    for (const dir of args.baseline ? args.baseline.split(',') : [])
      for (const name of BASELINE_FLOWS) baselines.push(await startBaseline(dir, name));
    // What is driven, in this order each round: this checkout's flows, then each baseline's receiving flows.
    const subjects = [
      ...names.map((name) => ({ key: name, name, nodeRed: nodeReds.get(name) })),
      ...baselines.map((b) => ({ key: `${b.name}@${b.label}`, name: b.name, nodeRed: b.nodeRed, label: b.label })),
    ];
    // Warm-up: JIT and connection pools settle before anything is measured.
    for (const s of subjects) await measure(s.nodeRed, s.name, Math.min(2000, count), connections);
    if (args.soak) {
      const nodeRed = nodeReds.get('ours');
      const total = 200_000;
      const half = total / 2;
      const start = rssMiB(nodeRed.process.pid);
      const first = await measure(nodeRed, 'ours', half, connections);
      const middle = rssMiB(nodeRed.process.pid);
      const second = await measure(nodeRed, 'ours', half, connections);
      const end = rssMiB(nodeRed.process.pid);
      report.soak = {
        requests: total,
        rssMiB: { start: +start.toFixed(1), middle: +middle.toFixed(1), end: +end.toFixed(1) },
        databaseMiB: databaseMiB(nodeRed.userDir),
        errors: first.errors + second.errors,
        non2xx: first.non2xx + second.non2xx,
        requestsPerSecond: Math.round((first.requestsPerSecond + second.requestsPerSecond) / 2),
        fsyncsPerSecond: Math.round((first.inbox.fsyncsPerSecond + second.inbox.fsyncsPerSecond) / 2),
        cpuMicrosPerRequest: Math.round((first.cpuMicrosPerRequest + second.cpuMicrosPerRequest) / 2),
      };
      console.log(
        `soak: ${total} requests to ours (inbox on); RSS MiB start ${report.soak.rssMiB.start}, middle ${report.soak.rssMiB.middle}, end ${report.soak.rssMiB.end}; database ${report.soak.databaseMiB} MiB; ${report.soak.requestsPerSecond} req/s, ${report.soak.fsyncsPerSecond} fsyncs/s; errors ${report.soak.errors}, non-2xx ${report.soak.non2xx}`,
      );
    } else {
      const runs = Object.fromEntries(subjects.map((s) => [s.key, []]));
      for (let round = 1; round <= rounds; round++) {
        // Interleaved, so drift on a shared machine hits every flow alike.
        for (const s of subjects) runs[s.key].push(await measure(s.nodeRed, s.name, count, connections));
      }
      for (const s of subjects) {
        const list = runs[s.key];
        report.flows[s.key] = {
          label: s.label ? `${TARGETS[s.name].label}, version in ${s.label}` : TARGETS[s.name].label,
          requestsPerSecond: Math.round(median(list.map((r) => r.requestsPerSecond))),
          latencyP50: median(list.map((r) => r.latencyP50)),
          latencyP99: median(list.map((r) => r.latencyP99)),
          errors: list.reduce((s, r) => s + r.errors + r.timeouts, 0),
          non2xx: list.reduce((s, r) => s + r.non2xx, 0),
          peakRssMiB: Math.max(...list.map((r) => r.peakRssMiB)),
          cpuMicrosPerRequest: median(list.map((r) => r.cpuMicrosPerRequest)),
          mainThreadMicrosPerRequest: median(list.map((r) => r.mainThreadMicrosPerRequest)),
          bodyBytes: list[0].bodyBytes,
          rounds: list.map((r) => Math.round(r.requestsPerSecond)),
          ...(list[0].inbox
            ? {
                inbox: {
                  fsyncsPerSecond: median(list.map((r) => r.inbox.fsyncsPerSecond)),
                  meanGroupSize: median(list.map((r) => r.inbox.meanGroupSize)),
                  deliveriesPerFsync: median(list.map((r) => r.inbox.deliveriesPerFsync)),
                },
              }
            : {}),
        };
      }
      const f = report.flows;
      if (f.ours && f.echo && f.hand && f.oursSvix)
        report.ratios = {
          oursOverEcho: +(f.ours.requestsPerSecond / f.echo.requestsPerSecond).toFixed(2),
          oursOverHandBuilt: +(f.ours.requestsPerSecond / f.hand.requestsPerSecond).toFixed(2),
          oursSvixOverEcho: +(f.oursSvix.requestsPerSecond / f.echo.requestsPerSecond).toFixed(2),
          p99OursOverEcho: +(f.ours.latencyP99 / Math.max(1, f.echo.latencyP99)).toFixed(2),
          // How many requests ours serves for the Node-RED CPU one echo request costs.
          cpuEfficiencyOursOverEcho: +(f.echo.cpuMicrosPerRequest / f.ours.cpuMicrosPerRequest).toFixed(2),
          cpuEfficiencyOursOverHandBuilt: +(f.hand.cpuMicrosPerRequest / f.ours.cpuMicrosPerRequest).toFixed(2),
          ...(f.oursNoInbox
            ? {
                oursNoInboxOverEcho: +(f.oursNoInbox.requestsPerSecond / f.echo.requestsPerSecond).toFixed(2),
                cpuEfficiencyOursNoInboxOverEcho: +(
                  f.echo.cpuMicrosPerRequest / f.oursNoInbox.cpuMicrosPerRequest
                ).toFixed(2),
              }
            : {}),
        };
      console.table(
        Object.fromEntries(
          Object.entries(f).map(([n, r]) => [
            n,
            {
              'req/s': r.requestsPerSecond,
              'p50 ms': r.latencyP50,
              'p99 ms': r.latencyP99,
              errors: r.errors,
              'non-2xx': r.non2xx,
              'Node-RED CPU µs/req': r.cpuMicrosPerRequest,
              'main thread µs/req': r.mainThreadMicrosPerRequest,
              'peak RSS MiB': r.peakRssMiB,
              'fsyncs/s': r.inbox?.fsyncsPerSecond ?? '',
              'writes/fsync': r.inbox?.meanGroupSize ?? '',
              'deliveries/fsync': r.inbox?.deliveriesPerFsync ?? '',
            },
          ]),
        ),
      );
      if (f.echo && baselines.length) {
        // Each checkout's echo/ours against the echo of this run: the versions compared in the same conditions.
        report.baselineRatios = Object.fromEntries(
          subjects
            .filter((s) => s.name.startsWith('ours'))
            .map((s) => [s.key, +(f.echo.cpuMicrosPerRequest / f[s.key].cpuMicrosPerRequest).toFixed(2)]),
        );
        console.log(
          `Node-RED CPU per request echo/ours, by version: ${Object.entries(report.baselineRatios)
            .map(([key, ratio]) => `${key} ${ratio}×`)
            .join(', ')}`,
        );
      }
      if (report.ratios?.cpuEfficiencyOursNoInboxOverEcho)
        console.log(
          `inbox off: ours/echo ${report.ratios.oursNoInboxOverEcho}×; Node-RED CPU per request echo/ours ${report.ratios.cpuEfficiencyOursNoInboxOverEcho}×`,
        );
      if (report.ratios)
        console.log(
          `ours/echo ${report.ratios.oursOverEcho}×, ours/hand-built ${report.ratios.oursOverHandBuilt}×, ours (Svix, split)/echo ${report.ratios.oursSvixOverEcho}×, p99 ours/echo ${report.ratios.p99OursOverEcho}; Node-RED CPU per request: echo/ours ${report.ratios.cpuEfficiencyOursOverEcho}×, hand-built/ours ${report.ratios.cpuEfficiencyOursOverHandBuilt}×`,
        );
    }
  } finally {
    for (const b of baselines) await b.nodeRed.remove();
    for (const nodeRed of nodeReds.values()) await nodeRed.remove();
  }
  const file = args.out ?? path.join(resultsDir, `${report.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  if (!args.out) fs.writeFileSync(path.join(resultsDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  if (args.profile) {
    const profile = fs
      .readdirSync(resultsDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(resultsDir, f))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
    if (profile) require('./profile-summary').printSummary(profile);
  }
  const bad =
    Object.values(report.flows).some((r) => r.errors || r.non2xx) ||
    (report.soak && (report.soak.errors || report.soak.non2xx));
  if (bad) {
    console.error('errors or non-2xx answers: the figures are not valid');
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
