import { createHash } from 'node:crypto';
import os from 'node:os';
import type { createClient } from 'redis';
import { redisLibrary } from '../shared/libraries';
import { StoreHealthSignal } from './health';
import type { WebhookMeta } from '../receive/types';
import { mentionsAddress } from './address';
import { mergeLeads } from './leads';
import * as scripts from './redisScripts';
import {
  DEFAULT_REFUSED_BOUND,
  InboxUnavailableError,
  fromSettlingPoint,
  type AcceptResult,
  type RefusedBound,
  type ClaimOptions,
  type DeliveryFilter,
  type DeliveryRecord,
  type DeliveryState,
  type DeliverySummary,
  type DueDelivery,
  type IncomingDelivery,
  type InboxStore,
  type LeadSummary,
  type RejectedRequest,
  type RetentionPolicy,
  type SettleRecord,
  type StoreHealth,
  type StoreHealthReporting,
  type DeliveryStats,
  type StatsBuckets,
  collectStats,
  statsFilter,
} from './types';

/**
 * The shared inbox: several Node-RED instances on one Redis. Duplicate claim and inbox write are one Lua script; the
 * inbox of each `sales webhook` node is a Redis Stream with a consumer group, each instance a consumer; settled entries
 * are acknowledged (XACK), a dead instance's pending entries are taken over with XAUTOCLAIM after the lease, and entries
 * past the attempt limit move to a dead-letter stream. Key layout: see redisScripts.ts.
 */

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL; credentials in it are used but never shown. */
  url: string;
  username?: string;
  password?: string;
  tls?: boolean;
  /** Prefix of every key, so several packages or environments can share a server. */
  prefix?: string;
  /** This instance's consumer name; default hostname-pid. Must differ between live instances. */
  consumer?: string;
  /** How long without a heartbeat an instance counts as dead (its deliveries are taken over). Default 15 s. */
  deadAfterMs?: number;
  /** A command not answered within this time fails (the sender gets 503 instead of waiting). */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export const DEFAULT_PREFIX = 'sales-webhooks';
const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
/** How long an erasure waits for a running append-only rewrite to end before asking for its own, and how often it looks. */
const AOF_REWRITE_WAIT_MS = 10 * 60_000;
const AOF_REWRITE_POLL_MS = 1000;
/** The most records one log query or erase reads per node (the log shows the newest; erase goes through all). */
const MAX_SCAN = 50_000;
const BATCH = 200;
const PURGE_STEP = 500;
const MAX_RECONNECT_DELAY_MS = 3000;
/**
 * An instance whose heartbeat (written at each claim, every few seconds, and each accept) is older than this is dead:
 * the others take its unsettled deliveries over at their next claim, within 30 s of its death.
 */
export const DEFAULT_DEAD_AFTER_MS = 15_000;
/** A consumer (an instance's name) idle this long with nothing pending is removed from the group by retention. */
const CONSUMER_IDLE_MS = 24 * 3600 * 1000;

/** How the server keeps an acknowledged delivery on disk. */
export interface Durability {
  /** `waitaof`: Redis 7.2+ confirms the fsync per write; `fsync-always`: appendfsync always; `none`; `unknown`. */
  mode: 'waitaof' | 'fsync-always' | 'none' | 'unknown';
  /** When the promise cannot be kept or checked: what the user should know and change. */
  warning?: string;
}

/** The URL without user name or password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'an invalid Redis URL';
  }
}

/** A prefix cannot hold braces: they would change the hash tag that keeps a node's keys in one Cluster slot. */
export function normalisePrefix(prefix: string | undefined): string {
  const clean = (prefix ?? '').trim().replace(/[{}]/g, '');
  return clean || DEFAULT_PREFIX;
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const toText = (value: unknown): string | null =>
  value === null || value === undefined ? null : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
const parseJson = <T>(value: unknown, fallback: T): T => {
  const text = toText(value);
  if (text === null || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

function splitId(id: string): { node: string; n: string } | undefined {
  const at = id.lastIndexOf('~');
  if (at <= 0) return undefined;
  const n = id.slice(at + 1);
  return /^\d+$/.test(n) ? { node: id.slice(0, at), n } : undefined;
}

/** An error of the client or server, in words a user can act on; never the URL's credentials. */
export function describeRedisError(err: unknown, location: string): string {
  const e = err as { code?: string; message?: string; name?: string };
  const message = String(e?.message ?? err);
  if (/WRONGPASS|invalid username-password|NOAUTH|AUTH failed|without any password configured/i.test(message)) {
    return `Redis at ${location} refused the user name or password: check the credentials of the Redis store`;
  }
  if (e?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message))
    return `nothing answers at ${location}: is Redis running there?`;
  if (e?.code === 'ENOTFOUND' || /ENOTFOUND|EAI_AGAIN/.test(message))
    return `the host of ${location} is not known: check the Redis URL`;
  if (e?.name === 'TimeoutError' || /timeout/i.test(message)) return `Redis at ${location} did not answer in time`;
  if (/client is closed|offline|Socket closed|ECONNRESET|EPIPE/i.test(message))
    return `the connection to Redis at ${location} is down`;
  if (/^MISCONF/.test(message)) return `Redis at ${location} cannot write to its disk (MISCONF)`;
  if (/^OOM/.test(message)) return `Redis at ${location} is out of memory (maxmemory)`;
  if (/^READONLY/.test(message)) return `Redis at ${location} is a read-only replica: point the URL at the primary`;
  if (/NOPERM/.test(message))
    return `the Redis user lacks a permission this store needs (${message.split('\n')[0].slice(0, 120)})`;
  return `Redis at ${location}: ${message.split('\n')[0].slice(0, 200)}`;
}

type Reply = unknown;
type Client = ReturnType<typeof createClient>;

export class RedisInboxStore implements InboxStore, StoreHealthReporting {
  readonly kind = 'redis';
  readonly location: string;
  readonly prefix: string;
  readonly consumer: string;
  durability: Durability = { mode: 'unknown' };
  private readonly healthSignal = new StoreHealthSignal({ ok: false, reason: 'connecting' });
  private readonly client: Client;
  private readonly commandTimeoutMs: number;
  private readonly deadAfterMs: number;
  /** Each node's refusals are held to it at every refusal; settings.js's bound arrives with the first purge. */
  private refusedBound: RefusedBound = DEFAULT_REFUSED_BOUND;
  private readonly connectTimeoutMs: number;
  private readonly secrets: string[];
  private readonly knownNodes = new Set<string>();
  private readonly shas = new Map<string, string>();
  private readonly recoveredUpTo = new Map<string, string>();
  private connecting: Promise<void> | undefined;
  private lastError: string | undefined;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.location = redactRedisUrl(options.url);
    this.prefix = normalisePrefix(options.prefix);
    this.consumer = options.consumer || `${os.hostname()}-${process.pid}`;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.deadAfterMs = options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.secrets = [options.password, safeUrlPassword(options.url)].filter((s): s is string => !!s && s.length >= 3);
    const url =
      options.tls && options.url.startsWith('redis://')
        ? 'rediss://' + options.url.slice('redis://'.length)
        : options.url;
    this.client = redisLibrary().createClient({
      url,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      // No offline queue: while Redis is away a write fails at once (503, the sender retries) instead of waiting.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.connectTimeoutMs,
        keepAlive: true,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
    });
    this.client.on('error', (err: unknown) => this.setHealth({ ok: false, reason: this.describe(err) }));
    // At every (re)connection: the server may have restarted with other persistence settings.
    this.client.on('ready', () => {
      this.checkDurability().then(
        () => this.setHealth({ ok: true }),
        (err: unknown) => this.setHealth({ ok: false, reason: this.describe(err) }),
      );
    });
    // A closed socket says less than the error before it (a refused password, say): keep that reason.
    this.client.on('end', () => {
      if (!this.closed && this.healthSignal.current.ok)
        this.setHealth({ ok: false, reason: `the connection to Redis at ${this.location} is down` });
    });
    this.client.on('reconnecting', () => {
      if (this.healthSignal.current.ok)
        this.setHealth({ ok: false, reason: `reconnecting to Redis at ${this.location}` });
    });
  }

  health(): StoreHealth {
    return this.healthSignal.current;
  }

  /** Calls back whenever the connection's health changes (status dots). Returns the unsubscribe. */
  onHealthChange(listener: (health: StoreHealth) => void): () => void {
    return this.healthSignal.listen(listener);
  }

  private setHealth(health: StoreHealth): void {
    if (!health.ok) this.lastError = health.reason;
    this.healthSignal.set(health);
  }

  private describe(err: unknown): string {
    let text = describeRedisError(err, this.location);
    for (const secret of this.secrets) text = text.split(secret).join('[redacted]');
    return text;
  }

  /** Connects (once), checks the server's persistence; rejects with InboxUnavailableError saying what is wrong. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new InboxUnavailableError('the inbox is closed'));
    if (this.healthSignal.current.ok) return Promise.resolve();
    this.connecting ??= new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        this.connecting = undefined;
        if (err) reject(new InboxUnavailableError(err));
        else resolve();
      };
      const timer = setTimeout(
        () => finish(this.lastError ?? `Redis at ${this.location} did not answer within ${this.connectTimeoutMs} ms`),
        this.connectTimeoutMs + 500,
      );
      // Healthy once connected and its persistence checked (the 'ready' handler); a specific failure ends the wait.
      const unsubscribe = this.onHealthChange((health) => {
        if (health.ok) finish();
        else if (health.reason !== 'connecting') finish(health.reason);
      });
      if (!this.client.isOpen) {
        // The client keeps reconnecting by itself after this; a first failure is reported through health.
        this.client.connect().catch((err: unknown) => finish(this.describe(err)));
      }
    });
    return this.connecting;
  }

  /** Reads the server's persistence and eviction settings: how an acknowledgement reaches the disk, and stays. */
  private async checkDurability(): Promise<void> {
    const durability = await this.checkPersistence();
    // An evicting policy drops stored deliveries and duplicate claims silently when memory runs out.
    const policy = /maxmemory_policy:(\S+)/.exec(String(await this.command(['INFO', 'memory'])))?.[1];
    if (policy && policy !== 'noeviction') {
      const eviction = `Redis at ${this.location} evicts keys when its memory is full ("maxmemory-policy ${policy}"): stored deliveries could vanish. Set "maxmemory-policy noeviction".`;
      durability.warning = durability.warning ? `${durability.warning} ${eviction}` : eviction;
    }
    this.durability = durability;
  }

  /** From the server's version and persistence settings: how an acknowledgement reaches the disk. */
  private async checkPersistence(): Promise<Durability> {
    const info = String(await this.command(['INFO', 'server']));
    const persistence = String(await this.command(['INFO', 'persistence']));
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    const major = Number(version?.[1] ?? 0);
    const minor = Number(version?.[2] ?? 0);
    const aof = /aof_enabled:1/.test(persistence);
    const where = `Redis at ${this.location}`;
    if (!aof) {
      return {
        mode: 'none',
        warning: `${where} keeps deliveries in memory only (appendonly is off): a Redis restart loses deliveries already acknowledged. Set "appendonly yes" and "appendfsync always" on the server.`,
      };
    }
    if (major > 7 || (major === 7 && minor >= 2)) {
      return { mode: 'waitaof' };
    }
    let fsync: string | undefined;
    try {
      const reply = (await this.command(['CONFIG', 'GET', 'appendfsync'])) as string[];
      fsync = reply[1];
    } catch {
      return {
        mode: 'unknown',
        warning: `${where} does not let this store check its disk settings (CONFIG is disabled), so it cannot promise that an acknowledged delivery survives a crash of the server. Make sure the server runs with "appendfsync always", or use Redis 7.2 or later.`,
      };
    }
    return fsync === 'always'
      ? { mode: 'fsync-always' }
      : {
          mode: 'none',
          warning: `${where} writes its disk file only every second ("appendfsync ${fsync ?? '?'}"): a crash or power cut of the server can lose deliveries already acknowledged. Set "appendfsync always", or use Redis 7.2 or later.`,
        };
  }

  /** Why nothing can be done now: the last specific reason (a refused password, say), not just "not connected". */
  private notConnected(): InboxUnavailableError {
    const reason = this.healthSignal.current.ok ? undefined : this.healthSignal.current.reason;
    return new InboxUnavailableError(
      reason && reason !== 'connecting' ? reason : `not connected to Redis at ${this.location}`,
    );
  }

  private async command(args: (string | Buffer)[], buffers = false): Promise<Reply> {
    if (this.closed) throw new InboxUnavailableError('the inbox is closed');
    if (!this.client.isReady) {
      // Fail fast (the sender gets 503 and retries); the client reconnects by itself, or a first connect starts here.
      if (!this.client.isOpen && !this.connecting) this.ready().catch(() => undefined);
      throw this.notConnected();
    }
    const reply = this.client.sendCommand(
      args,
      buffers ? { typeMapping: { [redisLibrary().RESP_TYPES.BLOB_STRING]: Buffer } } : undefined,
    );
    // node-redis's own command timeout does not fire once a command is on the wire (a hung server): bound it here.
    // The late reply, if any, is dropped; a write it carried is found as a duplicate when the sender retries.
    reply.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new InboxUnavailableError(`Redis at ${this.location} did not answer in time`)),
        this.commandTimeoutMs,
      );
    });
    try {
      return await Promise.race([reply, late]);
    } catch (err) {
      if (err instanceof InboxUnavailableError) throw err;
      throw new InboxUnavailableError(this.describe(err));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs a script by its digest, loading it when the server does not know it (first use, restart, failover). */
  private async script(
    source: string,
    keys: string[],
    args: (string | Buffer | number)[],
    buffers = false,
  ): Promise<Reply> {
    let sha = this.shas.get(source);
    if (!sha) this.shas.set(source, (sha = sha1(source)));
    const rest = [String(keys.length), ...keys, ...args.map((a) => (typeof a === 'number' ? String(a) : a))];
    try {
      return await this.command(['EVALSHA', sha, ...rest], buffers);
    } catch (err) {
      if (!/NOSCRIPT/.test((err as Error).message)) throw err;
      return this.command(['EVAL', source, ...rest], buffers);
    }
  }

  private base(node: string): string {
    return `${this.prefix}:{${node}}`;
  }

  private keys(node: string) {
    const base = this.base(node);
    return {
      base,
      inbox: `${base}:inbox`,
      dead: `${base}:dead`,
      due: `${base}:due`,
      seq: `${base}:seq`,
      index: `${base}:index`,
      bytes: `${base}:bytes`,
      refused: `${base}:refused`,
      refusedBytes: `${base}:refusedBytes`,
      record: (n: string) => `${base}:d:${n}`,
      settlements: (n: string) => `${base}:s:${n}`,
      duplicate: (key: string) => `${base}:k:${key}`,
    };
  }

  private get nodesKey(): string {
    return `${this.prefix}:nodes`;
  }

  private async rememberNode(node: string): Promise<void> {
    if (this.knownNodes.has(node)) return;
    await this.command(['SADD', this.nodesKey, node]);
    this.knownNodes.add(node);
  }

  async accept(delivery: IncomingDelivery): Promise<AcceptResult> {
    // Not before the server's persistence is known: on Redis 7.2+ the answer waits for WAITAOF.
    if (!this.healthSignal.current.ok) throw this.notConnected();
    await this.rememberNode(delivery.node);
    const k = this.keys(delivery.node);
    const { meta } = delivery;
    const headers = JSON.stringify(meta.headers);
    const metaJson = JSON.stringify(meta);
    const size = delivery.rawBody.length + headers.length + metaJson.length + 200;
    const fields: (string | Buffer)[] = [
      'node',
      delivery.node,
      'provider',
      meta.provider,
      'receivedAt',
      String(delivery.receivedAt),
      'headers',
      headers,
      'body',
      delivery.rawBody,
      'meta',
      metaJson,
      ...(meta.eventType !== undefined ? ['eventType', meta.eventType] : []),
      ...(meta.eventId !== undefined ? ['eventId', meta.eventId] : []),
      ...(delivery.issues.length ? ['issues', JSON.stringify(delivery.issues)] : []),
      // Stored already in its first emission (later fields of one HSET win over the script's defaults).
      ...(delivery.firstEmission
        ? ['state', 'emitted', 'attempt', '1', 'settles', delivery.firstEmission.settles ? '1' : '0']
        : []),
      ...(delivery.firstEmission?.settles && delivery.firstEmission.leaseMs !== undefined
        ? ['leaseUntil', String(Math.round(Date.now() + delivery.firstEmission.leaseMs))]
        : []),
    ];
    const reply = (await this.script(
      scripts.ACCEPT,
      [k.duplicate(delivery.duplicateKey), k.seq, k.index, k.inbox, k.bytes],
      [
        k.base,
        Math.max(1, Math.round(delivery.duplicateWindowMs)),
        delivery.node,
        this.consumer,
        delivery.receivedAt,
        size,
        ...fields,
      ],
    )) as [number, string];
    if (Number(reply[0]) !== 1) return { stored: false, duplicateOf: String(reply[1]) };
    await this.persisted();
    return { stored: true, id: String(reply[1]) };
  }

  /** On Redis 7.2+, waits until this connection's writes are fsynced to the server's append-only file. */
  private async persisted(): Promise<void> {
    if (this.durability.mode !== 'waitaof') return;
    const reply = (await this.command(['WAITAOF', '1', '0', String(this.commandTimeoutMs)])) as [number, number];
    if (Number(reply[0]) < 1)
      throw new InboxUnavailableError(`Redis at ${this.location} did not confirm the delivery on disk in time`);
  }

  logRejected(request: RejectedRequest): void {
    const run = async () => {
      if (!this.client.isReady) return;
      await this.rememberNode(request.node);
      const k = this.keys(request.node);
      const body = request.bodyPrefix ?? Buffer.alloc(0);
      const headers = JSON.stringify(request.headers);
      await this.script(
        scripts.LOG_REJECTED,
        [k.seq, k.index, k.bytes, k.refused, k.refusedBytes],
        [
          k.base,
          request.node,
          request.receivedAt,
          body.length + headers.length + 200,
          this.refusedBound.maxCount,
          this.refusedBound.maxBytes,
          'node',
          request.node,
          'provider',
          request.provider,
          'receivedAt',
          String(request.receivedAt),
          'statusCode',
          String(request.statusCode),
          'reason',
          request.reason,
          'headers',
          headers,
          'body',
          body,
          'bodyTruncated',
          request.bodyTruncated ? '1' : '0',
        ],
      );
    };
    run().catch(() => {
      /* the refusal was answered; its log line is best effort */
    });
  }

  async markEmitted(
    id: string,
    emission: { attempt: number; settles: boolean; leaseUntil?: number; leads?: LeadSummary[] },
  ): Promise<void> {
    const at = splitId(id);
    if (!at) return;
    const k = this.keys(at.node);
    await this.script(
      scripts.MARK_EMITTED,
      [k.record(at.n), k.inbox],
      [
        emission.attempt,
        emission.settles ? '1' : '0',
        emission.leaseUntil !== undefined ? String(Math.round(emission.leaseUntil)) : '',
        emission.leads ? JSON.stringify(emission.leads) : '',
      ],
    );
  }

  noteLeads(id: string, leads: LeadSummary[]): void {
    const at = splitId(id);
    if (!at) return;
    this.script(scripts.NOTE_LEADS, [this.keys(at.node).record(at.n)], [JSON.stringify(leads)]).catch(() => {
      /* the log's lead column only */
    });
  }

  async settle(id: string, record: SettleRecord): Promise<DeliveryState | undefined> {
    const at = splitId(id);
    if (!at) return undefined;
    const k = this.keys(at.node);
    const state = await this.script(
      scripts.SETTLE,
      [k.record(at.n), k.settlements(at.n), k.inbox, k.dead],
      [
        JSON.stringify(record),
        record.reason ?? record.state,
        String(record.part?.index ?? 0),
        record.state,
        String(record.part?.count ?? 1),
      ],
    );
    return state ? (String(state) as DeliveryState) : undefined;
  }

  async claimDue(options: ClaimOptions): Promise<DueDelivery[]> {
    const k = this.keys(options.node);
    // Recovery pages through this consumer's pending entries (which stay its own once claimed): continue after the last.
    const from = options.recovering && options.afterId !== undefined ? this.recoveredUpTo.get(options.node) : undefined;
    const [rows, lastRecovered] = (await this.script(
      scripts.CLAIM_DUE,
      [k.inbox, k.dead, k.due],
      [
        k.base,
        this.consumer,
        Math.round(options.now),
        Math.max(1, Math.round(options.leaseMs)),
        options.maxAttempts,
        Math.max(1, options.limit),
        options.settles ? '1' : '0',
        options.recovering ? '1' : '0',
        from ? `(${from}` : '-',
        this.deadAfterMs,
      ],
      true,
    )) as [[Buffer, number, Buffer, Buffer, Buffer, Buffer][], Buffer];
    if (options.recovering && toText(lastRecovered)) this.recoveredUpTo.set(options.node, toText(lastRecovered)!);
    return rows.map(([n, attempt, replay, body, meta, issues]) => ({
      id: `${options.node}~${toText(n)}`,
      node: options.node,
      rawBody: Buffer.isBuffer(body) ? body : Buffer.from(String(body)),
      meta: parseJson<WebhookMeta>(meta, null as unknown as WebhookMeta),
      issues: parseJson<string[]>(issues, []),
      attempt: Number(attempt),
      replay: toText(replay) === '1',
    }));
  }

  async requestReplay(ids: string[]): Promise<number> {
    let count = 0;
    const now = Date.now();
    for (const id of ids) {
      const at = splitId(id);
      if (!at) continue;
      const k = this.keys(at.node);
      count += Number(
        await this.script(
          scripts.REQUEST_REPLAY,
          [k.record(at.n), k.settlements(at.n), k.inbox, k.dead, k.due],
          [at.n, now],
        ),
      );
    }
    return count;
  }

  /** The dead letters of a node: deliveries that failed every attempt, oldest first (ids for replay). */
  async deadLetters(node: string, limit = 1000): Promise<{ id: string; reason: string }[]> {
    const entries = (await this.command(['XRANGE', this.keys(node).dead, '-', '+', 'COUNT', String(limit)])) as [
      string,
      string[],
    ][];
    return entries.map(([, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
      return { id: `${node}~${map.get('d')}`, reason: map.get('reason') ?? '' };
    });
  }

  private async nodes(filter: DeliveryFilter): Promise<string[]> {
    if (filter.node) return [filter.node];
    return ((await this.command(['SMEMBERS', this.nodesKey])) as string[]).sort();
  }

  /** Index entries of the filter's nodes and time range, newest first: {node, n, at}. */
  private async indexEntries(
    filter: DeliveryFilter,
    newestFirst = true,
  ): Promise<{ node: string; n: string; at: number }[]> {
    const all: { node: string; n: string; at: number }[] = [];
    const max = filter.to !== undefined ? String(filter.to) : '+inf';
    const min = filter.from !== undefined ? String(filter.from) : '-inf';
    for (const node of await this.nodes(filter)) {
      const args = newestFirst
        ? ['ZREVRANGEBYSCORE', this.keys(node).index, max, min, 'WITHSCORES', 'LIMIT', '0', String(MAX_SCAN)]
        : ['ZRANGEBYSCORE', this.keys(node).index, min, max, 'WITHSCORES', 'LIMIT', '0', String(MAX_SCAN)];
      const reply = (await this.command(args)) as string[];
      for (let i = 0; i + 1 < reply.length; i += 2) all.push({ node, n: reply[i], at: Number(reply[i + 1]) });
    }
    const order = newestFirst ? -1 : 1;
    return all.sort((a, b) => (a.at - b.at || Number(a.n) - Number(b.n) || (a.node < b.node ? -1 : 1)) * order);
  }

  /** Reads records (hash + settlements) in pipelined batches. */
  private async records(
    entries: { node: string; n: string }[],
    withBody: boolean,
  ): Promise<(Map<string, Buffer> | undefined)[]> {
    return Promise.all(
      entries.map(async ({ node, n }) => {
        const k = this.keys(node);
        const [hash, settlements] = await Promise.all([
          withBody
            ? this.command(['HGETALL', k.record(n)], true)
            : this.command(['HMGET', k.record(n), ...SUMMARY_FIELDS], true),
          this.command(['LRANGE', k.settlements(n), '0', '-1']),
        ]);
        const map = new Map<string, Buffer>();
        if (withBody) {
          // RESP2 HGETALL: a flat list of field, value.
          const flat = hash as Buffer[];
          for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i].toString(), flat[i + 1]);
        } else {
          (hash as (Buffer | null)[]).forEach((value, i) => {
            if (value !== null) map.set(SUMMARY_FIELDS[i], value);
          });
        }
        if (!map.has('state')) return undefined;
        map.set('settlements', Buffer.from(`[${(settlements as string[]).join(',')}]`));
        map.set('id', Buffer.from(`${node}~${n}`));
        return map;
      }),
    );
  }

  private matches(record: Map<string, Buffer>, filter: DeliveryFilter): boolean {
    const text = (field: string) => record.get(field)?.toString('utf8');
    if (filter.provider && text('provider') !== filter.provider) return false;
    if (filter.state && text('state') !== filter.state) return false;
    if (filter.q) {
      const q = filter.q.toLowerCase();
      const haystacks = [text('body'), text('eventId'), text('leads'), text('settlements')];
      if (!haystacks.some((h) => h?.toLowerCase().includes(q)) && text('id') !== filter.q) return false;
    }
    return true;
  }

  private summary(record: Map<string, Buffer>): DeliverySummary {
    const text = (field: string) => record.get(field)?.toString('utf8');
    const all = parseJson<SettleRecord[]>(record.get('settlements'), []);
    const settlements = all.slice(Number(text('roundStart') ?? 0));
    const statusCode = text('statusCode');
    return {
      id: text('id')!,
      receivedAt: new Date(Number(text('receivedAt'))).toISOString(),
      provider: text('provider') ?? '',
      eventType: text('eventType') ?? null,
      eventId: text('eventId') ?? null,
      state: text('state') as DeliveryState,
      node: text('node') ?? '',
      attempt: Number(text('attempt') ?? 0),
      // The leads noted at emission, and those the settling points reported (kept with their settlements).
      leads: mergeLeads(
        parseJson(record.get('leads'), []),
        all.flatMap((s) => (s.lead ? [s.lead] : [])),
      ),
      crm: settlements
        .filter(fromSettlingPoint)
        .map((s) => ({ system: s.system, recordId: s.recordId, state: s.state })),
      statusCode: statusCode === undefined ? null : Number(statusCode),
      reason: text('reason') ?? null,
    };
  }

  /** Walks the index newest (or oldest) first, reading records in batches, until `limit` match. */
  private async find(filter: DeliveryFilter, limit: number, newestFirst: boolean): Promise<Map<string, Buffer>[]> {
    const entries = await this.indexEntries(filter, newestFirst);
    const found: Map<string, Buffer>[] = [];
    for (let i = 0; i < entries.length && found.length < limit; i += BATCH) {
      const batch = await this.records(entries.slice(i, i + BATCH), !!filter.q);
      for (const record of batch)
        if (record && this.matches(record, filter) && found.length < limit) found.push(record);
    }
    return found;
  }

  async list(filter: DeliveryFilter): Promise<DeliverySummary[]> {
    return (await this.find(filter, filter.limit ?? 100, true)).map((r) => this.summary(r));
  }

  async ids(filter: DeliveryFilter): Promise<string[]> {
    return (await this.find(filter, filter.limit ?? 10000, false)).map((r) => r.get('id')!.toString());
  }

  /** From the records themselves (no body), at most MAX_SCAN per node like the list. */
  async deliveryStats(filter: DeliveryFilter, buckets: StatsBuckets): Promise<DeliveryStats> {
    const { stats, add } = collectStats(buckets);
    for (const record of await this.find(statsFilter(filter, buckets), Infinity, true)) {
      const receivedAt = Number(record.get('receivedAt')?.toString('utf8'));
      add(
        Math.floor((receivedAt - buckets.from) / buckets.bucketMs),
        record.get('state')!.toString() as DeliveryState,
        1,
      );
    }
    return stats;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const at = splitId(id);
    if (!at) return undefined;
    const [record] = await this.records([at], true);
    if (!record) return undefined;
    const text = (field: string) => record.get(field)?.toString('utf8');
    const leaseUntil = text('leaseUntil');
    return {
      ...this.summary(record),
      headers: parseJson(record.get('headers'), {}),
      body: record.get('body')?.toString('utf8') ?? '',
      bodyTruncated: text('bodyTruncated') === '1',
      meta: parseJson<WebhookMeta | null>(record.get('meta'), null),
      issues: parseJson(record.get('issues'), []),
      settlements: parseJson(record.get('settlements'), []),
      replay: text('replay') === '1',
      leaseUntil: leaseUntil === undefined ? null : Number(leaseUntil),
    };
  }

  /** `which`: any record (erasure), settled ones (age), refusals or delivered ones (size: never a failed one). */
  private async remove(node: string, n: string, which: 'any' | 'settled' | 'refused' | 'delivered'): Promise<boolean> {
    const k = this.keys(node);
    const removed = await this.script(
      scripts.DELETE_RECORD,
      [k.record(n), k.settlements(n), k.index, k.inbox, k.dead, k.due, k.bytes],
      [n, { any: '0', settled: '1', refused: '2', delivered: '3' }[which]],
    );
    return Number(removed) === 1;
  }

  /** Goes through every record in batches (never one long command that would stall the server for other clients). */
  async erase(email: string): Promise<number> {
    const needle = email.trim().toLowerCase();
    if (!needle) return 0;
    const address = mentionsAddress(needle);
    let erased = 0;
    for (const node of await this.nodes({})) {
      let cursor = 0;
      for (;;) {
        const page = (await this.command([
          'ZRANGE',
          this.keys(node).index,
          String(cursor),
          String(cursor + BATCH - 1),
        ])) as string[];
        if (page.length === 0) break;
        const records = await this.records(
          page.map((n) => ({ node, n })),
          true,
        );
        let kept = page.length;
        for (const record of records) {
          if (!record) continue;
          const haystack = ['body', 'leads', 'settlements', 'headers'].map(
            (f) => record.get(f)?.toString('utf8') ?? '',
          );
          if (haystack.some((h) => address.test(h))) {
            const at = splitId(record.get('id')!.toString())!;
            if (await this.remove(node, at.n, 'any')) {
              erased++;
              kept--;
            }
          }
        }
        cursor += kept;
      }
    }
    if (erased) void this.rewriteAppendOnlyFile();
    return erased;
  }

  /**
   * With appendonly on, the erased records' commands stay in the append-only file until Redis rewrites it: a rewrite
   * is asked for now, or once the one running ends (it copied the data from before the erasure). In the background;
   * a server that refuses the command (renamed, managed Redis) is left alone: the README says when the bytes leave.
   */
  private async rewriteAppendOnlyFile(): Promise<void> {
    try {
      for (let waited = 0; waited < AOF_REWRITE_WAIT_MS; waited += AOF_REWRITE_POLL_MS) {
        const persistence = String(await this.command(['INFO', 'persistence']));
        if (!/^aof_enabled:1\r?$/m.test(persistence)) return;
        if (!/^aof_rewrite_in_progress:1\r?$/m.test(persistence)) {
          await this.command(['BGREWRITEAOF']);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, AOF_REWRITE_POLL_MS).unref());
      }
    } catch {
      // Not connected any more, or the command is not allowed: nothing more to do from here.
    }
  }

  /** Removes settled records past the age, then the oldest settled ones while over the size; trims the streams. */
  async purge(policy: RetentionPolicy): Promise<number> {
    if (policy.refused) this.refusedBound = policy.refused;
    const now = Date.now();
    let removed = 0;
    const nodes = await this.nodes({});
    for (const node of nodes) {
      let offset = 0;
      for (;;) {
        const old = (await this.command([
          'ZRANGEBYSCORE',
          this.keys(node).index,
          '-inf',
          `(${now - policy.maxAgeMs}`,
          'LIMIT',
          String(offset),
          String(PURGE_STEP),
        ])) as string[];
        if (old.length === 0) break;
        let kept = 0;
        for (const n of old) {
          if (await this.remove(node, n, 'settled')) removed++;
          else kept++;
        }
        offset += kept;
      }
    }
    // By size: refusals first, then the oldest delivered records of all nodes; never a failed one.
    let held = await this.heldBytes(nodes);
    for (const which of ['refused', 'delivered'] as const) {
      if (held <= policy.maxBytes) break;
      const oldest = await this.indexEntries({}, false);
      for (const entry of oldest) {
        if (held <= policy.maxBytes) break;
        const size = Number(await this.command(['HGET', this.keys(entry.node).record(entry.n), 'size'])) || 0;
        if (await this.remove(entry.node, entry.n, which)) {
          removed++;
          held -= size;
        }
      }
    }
    const minId = `${Math.max(0, now - policy.maxAgeMs)}-0`;
    for (const node of nodes) {
      await this.script(scripts.TRIM_STREAMS, [this.keys(node).inbox, this.keys(node).dead], [minId]);
      await this.script(scripts.PRUNE_CONSUMERS, [this.keys(node).inbox], [this.consumer, CONSUMER_IDLE_MS]);
    }
    return removed;
  }

  /** Approximate bytes of the records held (bodies, headers, meta), summed over nodes. */
  async heldBytes(nodes?: string[]): Promise<number> {
    let total = 0;
    for (const node of nodes ?? (await this.nodes({})))
      total += Number(await this.command(['GET', this.keys(node).bytes])) || 0;
    return total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.healthSignal.clear();
    try {
      // close() lets commands already sent finish (they may be acknowledged deliveries); destroy() when not connected.
      if (this.client.isReady) await this.client.close();
      else this.client.destroy();
    } catch {
      /* already gone */
    }
  }
}

const SUMMARY_FIELDS = [
  'node',
  'provider',
  'eventType',
  'eventId',
  'receivedAt',
  'state',
  'statusCode',
  'reason',
  'attempt',
  'leads',
  'roundStart',
];

function safeUrlPassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
