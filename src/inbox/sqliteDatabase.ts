import Database from 'better-sqlite3';
import type { WebhookMeta } from '../receive/types';
import { mentionsAddress } from './address';
import { KeyWindow, type KeyClaim } from './keyWindow';
import { mergeLeads } from './leads';
import {
  currentOwner,
  fileGoneReason,
  fileIdentity,
  InboxFileLock,
  inUseReason,
  INBOX_FILE_GONE,
  INBOX_IN_USE,
} from './sqliteLock';
import { collectStats, statsFilter, DEFAULT_REFUSED_BOUND, SETTLED_STATES, fromSettlingPoint } from './types';
import type {
  DeliveryStats,
  StatsBuckets,
  ClaimOptions,
  DeliveryFilter,
  DeliveryRecord,
  DeliveryState,
  DeliverySummary,
  DueDelivery,
  IncomingDelivery,
  LeadSummary,
  RejectedRequest,
  RefusedBound,
  RetentionPolicy,
  SettleRecord,
} from './types';

/**
 * The embedded inbox's tables and every statement on them, synchronous (better-sqlite3). It runs in the writer
 * worker (`sqliteWorker.ts`), never on Node-RED's event loop, so an fsync never stalls a flow.
 */

const SCHEMA_VERSION = 4;
/** Rows one purge step removes: small enough that deliveries waiting behind it are answered within milliseconds. */
const PURGE_STEP_ROWS = 500;
/** By age: settled deliveries and refusals; an unsettled one is never purged (that would lose a lead). */
const PURGEABLE_BY_AGE = `state IN ('delivered', 'handled', 'failed', 'rejected')`;
/**
 * By size, in this order: refusals, then deliveries that reached their end. A failed delivery waits for a replay
 * (or its retention days, or a person): size never removes it.
 */
const PURGEABLE_BY_SIZE = [`state = 'rejected'`, `state IN ('delivered', 'handled')`];
/** Refusals removed at most per new refusal when over their bound: the bound is kept, the write stays short. */
const REFUSED_STEP_ROWS = 64;

interface DeliveryRow {
  id: number;
  node: string;
  provider: string;
  event_type: string | null;
  event_id: string | null;
  received_at: number;
  state: DeliveryState;
  status_code: number | null;
  reason: string | null;
  headers: string;
  body: Buffer;
  body_truncated: number;
  meta: string | null;
  issues: string | null;
  attempt: number;
  settles: number;
  lease_until: number | null;
  due: number;
  replay: number;
  round_start: number;
  round_first_attempt: number;
  leads: string;
  round: number;
}

/** A split delivery's counters: its parts, and of them those settled, failed and delivered. */
interface SplitParts {
  partCount: number;
  settled: number;
  failed: number;
  delivered: number;
}

const SUMMARY_COLUMNS =
  'd.id, node, provider, event_type, event_id, received_at, state, status_code, reason, attempt, leads, round';
/** What a delivery was (bytes, headers, msg.webhook, issues) never changes; it lives apart from its state. */
const CONTENT_COLUMNS = 'c.headers, c.body, c.body_truncated, c.meta, c.issues';
const WITH_CONTENT = 'deliveries d JOIN delivery_content c ON c.id = d.id';

/** Errors that mean the store cannot write at all (not a bug in one statement): the whole group fails with 503. */
export function isUnavailableError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return (
    typeof code === 'string' &&
    (/^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|PERM|NOTADB|CORRUPT|AUTH)/.test(code) ||
      code.startsWith('INBOX_'))
  );
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => '\\' + c);
const parseJson = <T>(text: string | null, fallback: T): T => {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

/**
 * A delivery as it crosses to the writer thread: primitives and the bytes only, so posting it is a copy rather than
 * a walk over nested objects (which cost more than the write itself).
 */
export type PackedDelivery = [
  node: string,
  duplicateKey: string,
  duplicateWindowMs: number,
  duplicateLimit: number | undefined,
  receivedAt: number,
  rawBody: Uint8Array,
  provider: string,
  eventType: string | null,
  eventId: string | null,
  headers: string,
  /** msg.webhook's fields without the headers, which are stored once, in their column. */
  meta: string,
  issues: string | null,
  /** The first emission stored with it: 0 none (received), 1 emitted without settling point, 2 with one. */
  emission: 0 | 1 | 2,
  /** Its lease, counted from this write (a commit slower than the lease must not let a claim beat the emission). */
  leaseMs: number | null,
];

export function packDelivery(delivery: IncomingDelivery): PackedDelivery {
  const { headers, ...meta } = delivery.meta;
  return [
    delivery.node,
    delivery.duplicateKey,
    delivery.duplicateWindowMs,
    delivery.duplicateLimit,
    delivery.receivedAt,
    delivery.rawBody,
    meta.provider,
    meta.eventType ?? null,
    meta.eventId ?? null,
    JSON.stringify(headers),
    JSON.stringify(meta),
    delivery.issues.length ? JSON.stringify(delivery.issues) : null,
    delivery.firstEmission ? (delivery.firstEmission.settles ? 2 : 1) : 0,
    delivery.firstEmission?.settles ? (delivery.firstEmission.leaseMs ?? null) : null,
  ];
}

/** msg.webhook as stored; its headers live in their own column (schema 1 kept them in meta too). */
function metaOf(row: { meta: string | null; headers: string }): WebhookMeta | null {
  const meta = parseJson<WebhookMeta | null>(row.meta, null);
  return meta && { ...meta, headers: meta.headers ?? parseJson(row.headers, {}) };
}

export class InboxDatabase {
  readonly db: Database.Database;
  private readonly keys = new Map<string, KeyWindow>();
  /** Keys claimed in the transaction under way, by node's window: they join it at commit and are dropped at rollback. */
  private uncommittedKeys = new Map<KeyWindow, Map<string, KeyClaim>>();

  private lock: InboxFileLock | undefined;
  /** The file's device and inode when opened: a different one (or none) means it was deleted or replaced. */
  readonly identity: string | undefined;

  /** `readOnly`: a second connection for the log's queries, on a file the writer has already set up. */
  constructor(
    readonly file: string,
    options: { readOnly?: boolean } = {},
  ) {
    if (options.readOnly) {
      this.db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
      return;
    }
    try {
      this.lock = InboxFileLock.acquire(file);
    } catch (err) {
      if ((err as { code?: string }).code === INBOX_IN_USE)
        throw Object.assign(new Error(inUseReason(file)), { code: INBOX_IN_USE });
      throw err;
    }
    try {
      this.db = new Database(file, { timeout: 5000 });
    } catch (err) {
      this.lock.release();
      throw err;
    }
    try {
      // Must precede the first table: lets purges hand pages back to the file system.
      this.db.pragma('auto_vacuum = INCREMENTAL');
      this.db.pragma('journal_mode = WAL');
      // FULL: the WAL is fsynced at every commit, so an acknowledged delivery survives a power cut.
      this.db.pragma('synchronous = FULL');
      this.db.pragma('journal_size_limit = 67108864');
      // A checkpoint every 16 MiB of log rather than 4: the pages every commit rewrites (leaves, page 1) are copied
      // into the file once per checkpoint, and its fsyncs come a quarter as often (about 4% less CPU per delivery).
      this.db.pragma('wal_autocheckpoint = 4000');
      // Freed space is zeroed where that costs no extra I/O, so an erased person leaves no stale copy in the file.
      this.db.pragma('secure_delete = FAST');
      this.migrate();
      this.sql(`INSERT OR REPLACE INTO inbox_meta (key, value) VALUES ('owner', ?)`).run(
        JSON.stringify(currentOwner()),
      );
      this.identity = fileIdentity(file);
    } catch (err) {
      this.db.close();
      this.lock.release();
      throw err;
    }
  }

  /** Throws (INBOX_FILE_GONE) when the file at the path is no longer the one this connection writes. */
  checkFile(): void {
    if (this.lock && fileIdentity(this.file) !== this.identity)
      throw Object.assign(new Error(fileGoneReason(this.file)), { code: INBOX_FILE_GONE });
  }

  private migrate(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS inbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        node TEXT NOT NULL,
        provider TEXT NOT NULL,
        event_type TEXT,
        event_id TEXT,
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        status_code INTEGER,
        reason TEXT,
        attempt INTEGER NOT NULL DEFAULT 0,
        settles INTEGER NOT NULL DEFAULT 0,
        lease_until INTEGER,
        due INTEGER NOT NULL DEFAULT 0,
        replay INTEGER NOT NULL DEFAULT 0,
        round_start INTEGER NOT NULL DEFAULT 0,
        round_first_attempt INTEGER NOT NULL DEFAULT 1,
        leads TEXT NOT NULL DEFAULT '[]',
        settlements TEXT NOT NULL DEFAULT '[]',
        dup_key TEXT,
        dup_expires INTEGER,
        round INTEGER NOT NULL DEFAULT 0,
        part_count INTEGER NOT NULL DEFAULT 1,
        parts_settled INTEGER NOT NULL DEFAULT 0,
        parts_failed INTEGER NOT NULL DEFAULT 0,
        parts_delivered INTEGER NOT NULL DEFAULT 0,
        size INTEGER NOT NULL DEFAULT 0
      );
      -- Apart from the state, so that emitting and settling (updates) never rewrite the body's pages.
      CREATE TABLE IF NOT EXISTS delivery_content (
        id INTEGER PRIMARY KEY,
        headers TEXT NOT NULL,
        body BLOB NOT NULL,
        body_truncated INTEGER NOT NULL DEFAULT 0,
        meta TEXT,
        issues TEXT
      );
      -- One row per answer of a settling point: settling one part of a split delivery writes one row and updates
      -- the delivery's counters, whatever the number of parts (schema 2 rewrote a JSON array of them all).
      CREATE TABLE IF NOT EXISTS settlements (
        seq INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL,
        round INTEGER NOT NULL,
        part INTEGER NOT NULL,
        state TEXT NOT NULL,
        record TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS settlements_part ON settlements (delivery_id, round, part);
      -- A split delivery's round and counters once its first part has settled: its row in deliveries holds its leads
      -- (a JSON array of 1.9 MB at 40,000), before the counters, and each part read and rewrote past them.
      CREATE TABLE IF NOT EXISTS split_parts (
        delivery_id INTEGER PRIMARY KEY,
        round INTEGER NOT NULL,
        part_count INTEGER NOT NULL,
        settled INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        delivered INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS deliveries_received_at ON deliveries (received_at);
      CREATE INDEX IF NOT EXISTS deliveries_refused ON deliveries (id) WHERE state = 'rejected';
      CREATE INDEX IF NOT EXISTS deliveries_unsettled ON deliveries (node, state) WHERE state IN ('received', 'emitted');
    `);
    const version = this.db.prepare(`SELECT value FROM inbox_meta WHERE key = 'schema'`).pluck().get() as
      string | undefined;
    if (version === undefined)
      this.db.prepare(`INSERT INTO inbox_meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
    else if (Number(version) > SCHEMA_VERSION) {
      throw Object.assign(
        new Error(`the inbox file was written by a newer version of this package (schema ${version})`),
        { code: 'SQLITE_NEWER_SCHEMA' },
      );
    } else if (Number(version) < SCHEMA_VERSION) {
      this.db.transaction(() => {
        if (Number(version) === 1) this.migrateFrom1();
        if (Number(version) <= 2) this.migrateFrom2();
        this.migrateFrom3();
      })();
    }
  }

  /** Schema 2 kept a delivery's settlements as one JSON array, rewritten whole at each part of a split delivery. */
  private migrateFrom2(): void {
    this.db.exec(`
      ALTER TABLE deliveries ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE deliveries ADD COLUMN part_count INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE deliveries ADD COLUMN parts_settled INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE deliveries ADD COLUMN parts_failed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE deliveries ADD COLUMN parts_delivered INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE deliveries ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
      UPDATE deliveries SET size = (SELECT length(body) + length(headers) FROM delivery_content c WHERE c.id = deliveries.id)
        WHERE state = 'rejected';
    `);
    const rows = this.db
      .prepare(`SELECT id, settlements, round_start FROM deliveries WHERE settlements != '[]'`)
      .all() as { id: number; settlements: string; round_start: number }[];
    for (const row of rows) {
      const records = parseJson<SettleRecord[]>(row.settlements, []);
      const round = row.round_start > 0 ? 1 : 0;
      if (round) this.sql('UPDATE deliveries SET round = 1 WHERE id = ?').run(row.id);
      records.forEach((record, i) => this.addSettlement(row.id, i < row.round_start ? 0 : round, record));
    }
    this.db.exec(`UPDATE deliveries SET settlements = '[]'; UPDATE inbox_meta SET value = '3' WHERE key = 'schema';`);
  }

  /** Schema 3 kept a split delivery's counters in its row, after its leads: each part read and rewrote past them. */
  private migrateFrom3(): void {
    this.db.exec(`
      INSERT OR IGNORE INTO split_parts (delivery_id, round, part_count, settled, failed, delivered)
        SELECT id, round, part_count, parts_settled, parts_failed, parts_delivered FROM deliveries WHERE part_count > 1;
      UPDATE inbox_meta SET value = '4' WHERE key = 'schema';
    `);
  }

  /**
   * Writes a part's settlement: a lookup of that part's latest answer in this round (indexed) and one insert, so its
   * cost does not grow with the number of parts. Returns what it changes in the counters (a part settled again
   * replaces its last answer).
   */
  private settlementChange(
    id: number,
    round: number,
    record: SettleRecord,
  ): { settled: number; failed: number; delivered: number } {
    const part = record.part?.index ?? 0;
    const previous = this.sql(
      'SELECT state FROM settlements WHERE delivery_id = ? AND round = ? AND part = ? ORDER BY seq DESC LIMIT 1',
    )
      .pluck()
      .get(id, round, part) as string | undefined;
    this.sql('INSERT INTO settlements (delivery_id, round, part, state, record) VALUES (?, ?, ?, ?, ?)').run(
      id,
      round,
      part,
      record.state,
      JSON.stringify(record),
    );
    const change = (state: string) => (record.state === state ? 1 : 0) - (previous === state ? 1 : 0);
    return { settled: previous === undefined ? 1 : 0, failed: change('failed'), delivered: change('delivered') };
  }

  /** A settlement counted in the delivery's own row: the first part of a round, and schema 2's migration. */
  private addSettlement(id: number, round: number, record: SettleRecord): SplitParts {
    const change = this.settlementChange(id, round, record);
    this.sql(
      `UPDATE deliveries SET part_count = MAX(part_count, ?), parts_settled = parts_settled + ?,
       parts_failed = parts_failed + ?, parts_delivered = parts_delivered + ? WHERE id = ?`,
    ).run(record.part?.count ?? 1, change.settled, change.failed, change.delivered, id);
    return this.sql(
      `SELECT part_count AS partCount, parts_settled AS settled, parts_failed AS failed, parts_delivered AS delivered
       FROM deliveries WHERE id = ?`,
    ).get(id) as SplitParts;
  }

  /** A delivery's settlements, in order: of one round, or of all. */
  private settlementsOf(id: number, round?: number): SettleRecord[] {
    const rows = (
      round === undefined
        ? this.sql('SELECT record FROM settlements WHERE delivery_id = ? ORDER BY seq').pluck().all(id)
        : this.sql('SELECT record FROM settlements WHERE delivery_id = ? AND round = ? ORDER BY seq')
            .pluck()
            .all(id, round)
    ) as string[];
    return rows.map((text) => parseJson<SettleRecord>(text, { state: 'failed', at: 0 }));
  }

  /** The leads noted at emission and those the settling points reported (kept with their settlements). */
  private leadsOf(row: { leads: string }, settlements: SettleRecord[]): LeadSummary[] {
    return mergeLeads(
      parseJson(row.leads, []),
      settlements.flatMap((s) => (s.lead ? [s.lead] : [])),
    );
  }

  /** Schema 1 kept duplicate keys in a table of their own; each random key dirtied a page of its index per commit. */
  private migrateFrom1(): void {
    this.db.exec(`
      ALTER TABLE deliveries ADD COLUMN dup_key TEXT;
      ALTER TABLE deliveries ADD COLUMN dup_expires INTEGER;
      UPDATE deliveries SET dup_key = k.key, dup_expires = k.expires_at FROM duplicate_keys k
        WHERE k.delivery_id = deliveries.id AND k.node = deliveries.node;
      DROP TABLE duplicate_keys;
      UPDATE inbox_meta SET value = '2' WHERE key = 'schema';
    `);
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.lock?.release();
  }

  private readonly statements = new Map<string, Database.Statement>();
  /** Every delivery's two inserts, held apart from the map of statements: no lookup per delivery. */
  private insertDelivery: Database.Statement | undefined;
  private insertContent: Database.Statement | undefined;
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /**
   * The duplicate keys of one node, oldest first, loaded from its newest rows on first use. They live in the rows
   * (so they survive a restart) and are looked up here: an index of random keys would dirty a page per delivery.
   */
  private keysOf(node: string, limit: number | undefined, now: number): KeyWindow {
    let keys = this.keys.get(node);
    if (!keys) {
      keys = new KeyWindow(limit);
      const rows = this.sql(
        `SELECT id, dup_key, dup_expires FROM deliveries WHERE node = ? AND dup_expires > ? ORDER BY id DESC LIMIT ?`,
      ).all(node, now, limit ?? -1) as { id: number; dup_key: string; dup_expires: number }[];
      for (let i = rows.length - 1; i >= 0; i--) keys.claim(rows[i].dup_key, rows[i].dup_expires, rows[i].id);
      this.keys.set(node, keys);
    } else if (limit !== undefined) keys.limit = limit;
    return keys;
  }

  /** Stores a delivery unless its key is remembered: the new id, or minus the id of the delivery it repeats. */
  accept(packed: PackedDelivery): number {
    const [
      node,
      duplicateKey,
      windowMs,
      limit,
      now,
      rawBody,
      provider,
      eventType,
      eventId,
      headers,
      meta,
      issues,
      emission,
      leaseMs,
    ] = packed;
    const keys = this.keysOf(node, limit, now);
    let pending = this.uncommittedKeys.get(keys);
    const claim = pending?.get(duplicateKey) ?? keys.get(duplicateKey);
    if (claim && claim.expiresAt > now) return -claim.id;
    const expiresAt = now + windowMs;
    this.insertDelivery ??= this.sql(
      `INSERT INTO deliveries (node, provider, event_type, event_id, received_at, state, dup_key, dup_expires, attempt, settles, lease_until)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertContent ??= this.sql(
      `INSERT INTO delivery_content (id, headers, body, meta, issues) VALUES (?, ?, ?, ?, ?)`,
    );
    const id = Number(
      this.insertDelivery.run(
        node,
        provider,
        eventType,
        eventId,
        now,
        emission ? 'emitted' : 'received',
        duplicateKey,
        expiresAt,
        emission ? 1 : 0,
        emission === 2 ? 1 : 0,
        leaseMs === null ? null : Date.now() + leaseMs,
      ).lastInsertRowid,
    );
    this.insertContent.run(id, headers, rawBody, meta, issues);
    if (!pending) this.uncommittedKeys.set(keys, (pending = new Map()));
    pending.set(duplicateKey, { key: duplicateKey, expiresAt, id });
    return id;
  }

  /**
   * After a commit: the group's keys join their nodes' windows, and each forgets its oldest keys beyond its limit or
   * window (a queue beside the Map: constant time however many keys were forgotten before).
   */
  keysCommitted(now = Date.now()): void {
    for (const [keys, pending] of this.uncommittedKeys) {
      for (const claim of pending.values()) keys.claim(claim.key, claim.expiresAt, claim.id);
      keys.evict(now);
    }
    this.uncommittedKeys.clear();
  }

  /** After a rollback: the group's keys were never stored (and the refusal counts are read again). */
  keysRolledBack(): void {
    this.refused = undefined;
    this.uncommittedKeys.clear();
  }

  /** Refusals held and their bytes; loaded on first use, forgotten whenever a rollback, purge or erasure changes them. */
  private refused: { count: number; bytes: number } | undefined;

  /** Logs a refusal; past the bound of refusals, the oldest go in the same write (the inbox never grows for them). */
  logRejected(request: RejectedRequest, bound: RefusedBound = DEFAULT_REFUSED_BOUND): void {
    const body = request.bodyPrefix ?? Buffer.alloc(0);
    const headers = JSON.stringify(request.headers);
    const size = body.length + headers.length;
    this.refused ??= this.sql(
      `SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM deliveries WHERE state = 'rejected'`,
    ).get() as { count: number; bytes: number };
    const id = this.sql(
      `INSERT INTO deliveries (node, provider, received_at, state, status_code, reason, size) VALUES (?, ?, ?, 'rejected', ?, ?, ?)`,
    ).run(request.node, request.provider, request.receivedAt, request.statusCode, request.reason, size).lastInsertRowid;
    this.sql(`INSERT INTO delivery_content (id, headers, body, body_truncated) VALUES (?, ?, ?, ?)`).run(
      id,
      headers,
      body,
      request.bodyTruncated ? 1 : 0,
    );
    this.refused.count++;
    this.refused.bytes += size;
    if (this.refused.count <= bound.maxCount && this.refused.bytes <= bound.maxBytes) return;
    const oldest = this.sql(`SELECT id, size FROM deliveries WHERE state = 'rejected' ORDER BY id LIMIT ?`).all(
      REFUSED_STEP_ROWS,
    ) as { id: number; size: number }[];
    for (const row of oldest) {
      if (this.refused.count <= bound.maxCount && this.refused.bytes <= bound.maxBytes) break;
      this.removeRow(row.id);
      this.refused.count--;
      this.refused.bytes -= row.size;
    }
  }

  private removeRow(id: number): void {
    this.sql('DELETE FROM deliveries WHERE id = ?').run(id);
    this.removeDependents(id);
  }

  /** What is stored about a delivery beside its row: its content, its settlements and its split's counters. */
  private removeDependents(id: number): void {
    this.sql('DELETE FROM delivery_content WHERE id = ?').run(id);
    this.sql('DELETE FROM settlements WHERE delivery_id = ?').run(id);
    this.sql('DELETE FROM split_parts WHERE delivery_id = ?').run(id);
  }

  /** Flat arguments: half of all writes are these, and each crosses to the writer thread. */
  markEmitted(
    id: string,
    attempt: number,
    settles: boolean,
    leaseUntil: number | null,
    leads: LeadSummary[] | null,
  ): void {
    const row = this.sql('SELECT state, leads FROM deliveries WHERE id = ?').get(Number(id)) as
      { state: DeliveryState; leads: string } | undefined;
    if (!row) return;
    const settled = SETTLED_STATES.includes(row.state);
    const state = settled ? row.state : settles ? 'emitted' : 'delivered';
    const merged = leads ? JSON.stringify(mergeLeads(parseJson(row.leads, []), leads)) : row.leads;
    this.sql(
      `UPDATE deliveries SET state = ?, attempt = MAX(attempt, ?), settles = ?, lease_until = ?, leads = ?, due = 0 WHERE id = ?`,
    ).run(state, attempt, settles ? 1 : 0, settles && !settled ? leaseUntil : null, merged, Number(id));
  }

  noteLeads(id: string, leads: LeadSummary[]): void {
    const added = mergeLeads([], leads);
    if (added.length === 0) return;
    // Usually the delivery's first leads: one update, no read of the row and no merge.
    if (
      this.sql(`UPDATE deliveries SET leads = ? WHERE id = ? AND leads = '[]'`).run(JSON.stringify(added), Number(id))
        .changes
    )
      return;
    const row = this.sql('SELECT leads FROM deliveries WHERE id = ?').get(Number(id)) as { leads: string } | undefined;
    if (!row) return;
    this.sql('UPDATE deliveries SET leads = ? WHERE id = ?').run(
      JSON.stringify(mergeLeads(parseJson(row.leads, []), leads)),
      Number(id),
    );
  }

  settle(id: string, record: SettleRecord): DeliveryState | undefined {
    const split = this.sql('SELECT round FROM split_parts WHERE delivery_id = ?').pluck().get(Number(id)) as
      number | undefined;
    if (split !== undefined) return this.settlePart(Number(id), split, record);
    const row = this.sql('SELECT state, round, part_count, parts_settled FROM deliveries WHERE id = ?').get(
      Number(id),
    ) as { state: DeliveryState; round: number; part_count: number; parts_settled: number } | undefined;
    if (!row || row.state === 'rejected') return undefined;
    if (row.part_count === 1 && row.parts_settled === 0 && (record.part?.count ?? 1) === 1)
      return this.settleWhole(Number(id), row.round, record);
    const parts = this.addSettlement(Number(id), row.round, record);
    if (parts.partCount > 1)
      this.sql(
        'INSERT INTO split_parts (delivery_id, round, part_count, settled, failed, delivered) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(Number(id), row.round, parts.partCount, parts.settled, parts.failed, parts.delivered);
    return this.settledAs(Number(id), row.state, parts);
  }

  /** A later part of a split delivery: its counters in split_parts, the delivery's row read for its state alone. */
  private settlePart(id: number, round: number, record: SettleRecord): DeliveryState | undefined {
    const state = this.sql('SELECT state FROM deliveries WHERE id = ?').pluck().get(id) as DeliveryState | undefined;
    if (state === undefined || state === 'rejected') return undefined;
    const change = this.settlementChange(id, round, record);
    this.sql(
      `UPDATE split_parts SET part_count = MAX(part_count, ?), settled = settled + ?, failed = failed + ?,
       delivered = delivered + ? WHERE delivery_id = ?`,
    ).run(record.part?.count ?? 1, change.settled, change.failed, change.delivered, id);
    const parts = this.sql(
      'SELECT part_count AS partCount, settled, failed, delivered FROM split_parts WHERE delivery_id = ?',
    ).get(id) as SplitParts;
    return this.settledAs(id, state, parts);
  }

  /** The delivery's state once a part settled: unchanged until every part has, then written once. */
  private settledAs(id: number, current: DeliveryState, parts: SplitParts): DeliveryState {
    if (parts.settled < parts.partCount) return current;
    // Failed wins, then delivered (a CRM took a part), else handled: as settledStateOf says.
    const state: DeliveryState = parts.failed > 0 ? 'failed' : parts.delivered > 0 ? 'delivered' : 'handled';
    if (state !== current)
      // Settled means emitted at least once, though a plain flow's first emission is not written.
      this.sql(`UPDATE deliveries SET state = ?, lease_until = NULL, attempt = MAX(attempt, 1) WHERE id = ?`).run(
        state,
        id,
      );
    return state;
  }

  /**
   * The usual settlement: a delivery of one part settled for the first time in its round. Nothing before it can
   * count, so its counters and state are set in one update (the general path reads the part's last settlement, adds
   * to the counters, then updates the state: two reads and two updates more per delivery).
   */
  private settleWhole(id: number, round: number, record: SettleRecord): DeliveryState {
    this.sql('INSERT INTO settlements (delivery_id, round, part, state, record) VALUES (?, ?, 0, ?, ?)').run(
      id,
      round,
      record.state,
      JSON.stringify(record),
    );
    const failed = record.state === 'failed' ? 1 : 0;
    const delivered = record.state === 'delivered' ? 1 : 0;
    this.sql(
      `UPDATE deliveries SET parts_settled = 1, parts_failed = ?, parts_delivered = ?, state = ?, lease_until = NULL,
       attempt = MAX(attempt, 1) WHERE id = ?`,
    ).run(failed, delivered, record.state, id);
    return record.state;
  }

  claimDue(options: ClaimOptions): DueDelivery[] {
    const rows = (
      options.recovering
        ? this.sql(
            `SELECT d.*, ${CONTENT_COLUMNS} FROM ${WITH_CONTENT} WHERE node = ? AND state IN ('received', 'emitted') AND d.id > ? ORDER BY d.id LIMIT ?`,
          ).all(options.node, Number(options.afterId ?? 0), options.limit)
        : this.sql(
            `SELECT d.*, ${CONTENT_COLUMNS} FROM ${WITH_CONTENT} WHERE node = ? AND state IN ('received', 'emitted')
             AND (due = 1 OR (settles = 1 AND lease_until IS NOT NULL AND lease_until <= ?)) ORDER BY d.id LIMIT ?`,
          ).all(options.node, options.now, options.limit)
    ) as DeliveryRow[];
    const claimed: DueDelivery[] = [];
    for (const row of rows) {
      const attempt = row.attempt + 1;
      if (!row.due && attempt - row.round_first_attempt + 1 > options.maxAttempts) {
        this.settle(String(row.id), {
          state: 'failed',
          reason: `not settled after ${options.maxAttempts} attempt${options.maxAttempts === 1 ? '' : 's'}`,
          at: options.now,
        });
        // A split delivery with leads still open is failed as a whole.
        this.sql(`UPDATE deliveries SET state = 'failed', lease_until = NULL WHERE id = ?`).run(row.id);
        continue;
      }
      const leaseUntil = options.now + options.leaseMs * 2 ** Math.max(0, attempt - row.round_first_attempt);
      this.sql(`UPDATE deliveries SET state = ?, attempt = ?, settles = ?, lease_until = ?, due = 0 WHERE id = ?`).run(
        options.settles ? 'emitted' : 'delivered',
        attempt,
        options.settles ? 1 : 0,
        options.settles ? leaseUntil : null,
        row.id,
      );
      claimed.push({
        id: String(row.id),
        node: row.node,
        rawBody: row.body,
        meta: metaOf(row) as WebhookMeta,
        issues: parseJson<string[]>(row.issues, []),
        attempt,
        replay: row.replay === 1,
      });
    }
    return claimed;
  }

  requestReplay(ids: string[]): number {
    const statement = this.sql(
      `UPDATE deliveries SET state = 'received', due = 1, replay = 1, round = round + 1, part_count = 1,
       parts_settled = 0, parts_failed = 0, parts_delivered = 0, round_first_attempt = attempt + 1, lease_until = NULL
       WHERE id = ? AND state != 'rejected'`,
    );
    const forgetParts = this.sql('DELETE FROM split_parts WHERE delivery_id = ?');
    let count = 0;
    for (const id of ids) {
      const changed = statement.run(Number(id)).changes;
      if (changed) forgetParts.run(Number(id));
      count += changed;
    }
    return count;
  }

  private where(filter: DeliveryFilter): { clause: string; params: unknown[] } {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filter.provider) {
      conditions.push('provider = ?');
      params.push(filter.provider);
    }
    if (filter.node) {
      conditions.push('node = ?');
      params.push(filter.node);
    }
    if (filter.state) {
      conditions.push('state = ?');
      params.push(filter.state);
    }
    if (filter.from !== undefined) {
      conditions.push('received_at >= ?');
      params.push(filter.from);
    }
    if (filter.to !== undefined) {
      conditions.push('received_at <= ?');
      params.push(filter.to);
    }
    if (filter.q) {
      const pattern = `%${escapeLike(filter.q)}%`;
      conditions.push(
        `(d.id IN (SELECT id FROM delivery_content WHERE CAST(body AS TEXT) LIKE ? ESCAPE '\\') OR event_id LIKE ? ESCAPE '\\' OR leads LIKE ? ESCAPE '\\'
          OR d.id IN (SELECT delivery_id FROM settlements WHERE record LIKE ? ESCAPE '\\') OR CAST(d.id AS TEXT) = ?)`,
      );
      params.push(pattern, pattern, pattern, pattern, filter.q);
    }
    return { clause: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
  }

  list(filter: DeliveryFilter): DeliverySummary[] {
    const { clause, params } = this.where(filter);
    const rows = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM deliveries d ${clause} ORDER BY d.id DESC LIMIT ?`)
      .all(...params, filter.limit ?? 100) as DeliveryRow[];
    return rows.map((row) => this.summary(row));
  }

  ids(filter: DeliveryFilter): string[] {
    const { clause, params } = this.where(filter);
    return (
      this.db
        .prepare(`SELECT d.id FROM deliveries d ${clause} ORDER BY d.id LIMIT ?`)
        .pluck()
        .all(...params, filter.limit ?? 10000) as number[]
    ).map(String);
  }

  /** Counted in SQL: one row per bucket and state, never the records themselves. */
  deliveryStats(filter: DeliveryFilter, buckets: StatsBuckets): DeliveryStats {
    const { clause, params } = this.where(statsFilter(filter, buckets));
    const rows = this.db
      .prepare(
        `SELECT CAST((received_at - ?) / ? AS INTEGER) AS bucket, state, COUNT(*) AS count FROM deliveries d ${clause} GROUP BY bucket, state`,
      )
      .all(buckets.from, buckets.bucketMs, ...params) as { bucket: number; state: DeliveryState; count: number }[];
    const { stats, add } = collectStats(buckets);
    for (const row of rows) add(Number(row.bucket), row.state, Number(row.count));
    return stats;
  }

  private summary(row: DeliveryRow, all = this.settlementsOf(row.id)): DeliverySummary {
    const settlements = row.round === 0 ? all : this.settlementsOf(row.id, row.round);
    return {
      id: String(row.id),
      receivedAt: new Date(row.received_at).toISOString(),
      provider: row.provider,
      eventType: row.event_type,
      eventId: row.event_id,
      state: row.state,
      node: row.node,
      attempt: row.attempt,
      leads: this.leadsOf(row, all),
      crm: settlements
        .filter(fromSettlingPoint)
        .map((s) => ({ system: s.system, recordId: s.recordId, state: s.state })),
      statusCode: row.status_code,
      reason: row.reason,
    };
  }

  get(id: string): DeliveryRecord | undefined {
    const row = this.sql(`SELECT d.*, ${CONTENT_COLUMNS} FROM ${WITH_CONTENT} WHERE d.id = ?`).get(Number(id)) as
      DeliveryRow | undefined;
    if (!row) return undefined;
    const settlements = this.settlementsOf(row.id);
    return {
      ...this.summary(row, settlements),
      headers: parseJson(row.headers, {}),
      body: row.body.toString('utf8'),
      bodyTruncated: row.body_truncated === 1,
      meta: metaOf(row),
      issues: parseJson(row.issues, []),
      settlements,
      replay: row.replay === 1,
      leaseUntil: row.lease_until,
    };
  }

  erase(email: string): number {
    // Each row is asked the stores' own matcher: LIKE folds ASCII case only and misses JSON escapes (jo\u0040corp.com).
    const address = mentionsAddress(email.trim());
    this.db.function('sales_webhooks_mentions', { deterministic: true }, (text: unknown) =>
      typeof text === 'string' && address.test(text) ? 1 : 0,
    );
    const ids = this.db
      .prepare(
        `SELECT d.id FROM ${WITH_CONTENT}
         WHERE sales_webhooks_mentions(CAST(c.body AS TEXT)) OR sales_webhooks_mentions(d.leads)
           OR sales_webhooks_mentions(c.headers)
           OR d.id IN (SELECT delivery_id FROM settlements WHERE sales_webhooks_mentions(record))`,
      )
      .pluck()
      .all() as number[];
    // Erasure means gone from the file too: secure_delete zeroes the deleted rows' bytes instead of leaving them in
    // free pages (the caller then checkpoints, so the WAL's old copies of those pages go as well).
    this.db.pragma('secure_delete = ON');
    try {
      for (const id of ids) this.removeRow(id);
    } finally {
      this.db.pragma('secure_delete = FAST');
    }
    if (ids.length) this.releaseSpace();
    this.refused = undefined;
    return ids.length;
  }

  /** One purge step: at most PURGE_STEP_ROWS rows. The caller repeats while it returns more than zero. */
  purgeStep(policy: RetentionPolicy, now: number): number {
    this.refused = undefined;
    let removed = this.sql(
      `DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE received_at < ? AND ${PURGEABLE_BY_AGE} ORDER BY id LIMIT ?) RETURNING id`,
    )
      .pluck()
      .all(now - policy.maxAgeMs, PURGE_STEP_ROWS) as number[];
    for (const purgeable of PURGEABLE_BY_SIZE) {
      if (removed.length > 0 || this.usedBytes() <= policy.maxBytes) break;
      removed = this.sql(
        `DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE ${purgeable} ORDER BY id LIMIT ?) RETURNING id`,
      )
        .pluck()
        .all(PURGE_STEP_ROWS) as number[];
    }
    for (const id of removed) this.removeDependents(id);
    if (removed.length) this.releaseSpace();
    return removed.length;
  }

  /** Bytes of the pages in use (the file shrinks to about this after a purge). */
  usedBytes(): number {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * pageSize;
  }

  fileBytes(): number {
    return (
      (this.db.pragma('page_count', { simple: true }) as number) *
      (this.db.pragma('page_size', { simple: true }) as number)
    );
  }

  private releaseSpace(): void {
    this.db.pragma('incremental_vacuum');
  }

  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
