import path from 'node:path';
import { describeInboxProblem } from './settings';
import { fileGoneReason, fileIdentity } from './sqliteLock';
import { Worker } from 'node:worker_threads';
import { StoreHealthSignal } from './health';
import { packDelivery } from './sqliteDatabase';
import type { ReadOp, WorkerReply, WorkerRequest, WriteOp } from './sqliteWorker';
import {
  DEFAULT_REFUSED_BOUND,
  InboxUnavailableError,
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
} from './types';

export { DEFAULT_DATABASE_FILE } from './settings';
/**
 * Writes in one group at the most: bounds the time one transaction holds the writer, and the burst of answers it
 * sets off on Node-RED's thread (a 5,000-lead split's settlements, answered 1,000 at once, held the event loop up to
 * 96 ms; 200 at once, 25 to 31 ms). Everyday groups are far smaller (9 to 20 under load).
 */
const MAX_GROUP = 200;
/** Of every group, what is kept for writes other than accepts while they wait, so a flood of accepts never starves them. */
const MAX_GROUP_RESERVED = MAX_GROUP / 4;
/** After the file could not be opened, how long to answer 503 at once before trying again. */
const REOPEN_DELAY_MS = 1000;
/** While the file cannot be opened (another process has it), how often to try again; also the 503's Retry-After. */
const RETRY_OPEN_MS = 5000;
/** How often an idle store checks that its file is still the one at its path. */
const FILE_CHECK_MS = 5000;
/** How long a write nobody waits for may wait for company. */
const LAZY_WRITE_MS = 200;

/** A markEmitted still queued: the leads noted meanwhile are added to it, so the two are one write. */
interface QueuedEmission {
  id: string;
  attempt: number;
  settles: boolean;
  leaseUntil: number | null;
  leads: LeadSummary[] | null;
}

interface Pending {
  op: WriteOp | QueuedEmission;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** Measured by the bench: how many commits (fsyncs) and how many writes they carried. */
export interface GroupCommitStats {
  commits: number;
  writes: number;
}

/**
 * The embedded durable inbox: one SQLite file (WAL, synchronous=FULL) written by a worker thread. Writes queue while
 * a commit is under way and go together in the next one, so a burst shares one fsync (group commit) and a slow disk
 * never blocks Node-RED's event loop.
 */
export class SqliteInboxStore implements InboxStore, StoreHealthReporting {
  readonly kind = 'sqlite';
  readonly stats: GroupCommitStats = { commits: 0, writes: 0 };
  private worker: Worker | undefined;
  private opening: Promise<Worker> | undefined;
  /** The log's reader connection (list, get, ids), opened once the writer has set the file up. */
  private reader: Promise<Worker | undefined> | undefined;
  private readerSeqs = new Set<number>();
  private openError: { message: string; at: number } | undefined;
  /**
   * Accepts, which a sender's answer waits for: each group takes them first. Behind a 5,000-lead split's settlements in
   * one queue, another node's accept waited for 25 commits (over a second while other processes fsynced).
   */
  private accepts: Pending[] = [];
  /** Every other write, in the order made (a delivery's emission, leads and settlement follow its accept's answer). */
  private queue: Pending[] = [];
  /** Emissions still waiting for a commit, by delivery id: the leads noted meanwhile travel with them (one write). */
  private queuedEmissions = new Map<string, QueuedEmission>();
  private inFlight: Map<number, { resolve(reply: WorkerReply): void; reject(err: Error): void }> = new Map();
  private writing = false;
  private seq = 0;
  private closed = false;
  private readonly healthSignal = new StoreHealthSignal({ ok: true });
  /** Held at every refusal; settings.js's bound arrives with the first purge (right after the store opens). */
  private refusedBound: RefusedBound = DEFAULT_REFUSED_BOUND;
  /** Set once the file was deleted or replaced under us: nothing is accepted until Node-RED restarts. */
  private fileGone: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lazyTimer: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private fileCheck: NodeJS.Timeout | undefined;

  constructor(readonly location: string) {}

  ready(): Promise<void> {
    return this.open().then(() => undefined);
  }

  health(): StoreHealth {
    return this.healthSignal.current;
  }

  onHealthChange(listener: (health: StoreHealth) => void): () => void {
    return this.healthSignal.listen(listener);
  }

  private setHealth(health: StoreHealth): void {
    this.healthSignal.set(health);
  }

  /** Cannot open: unhealthy, and tried again in the background so the store recovers once the cause is gone. */
  private unhealthy(message: string): void {
    this.setHealth({ ok: false, reason: describeInboxProblem(message), retryAfterSeconds: RETRY_OPEN_MS / 1000 });
    if (this.retryTimer || this.closed || this.fileGone) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.openError = undefined;
      this.open().catch(() => undefined);
    }, RETRY_OPEN_MS);
    this.retryTimer.unref();
  }

  /** The file is no longer the one written: refuse everything, stop the writer, say why. */
  private lostFile(): void {
    if (this.fileGone) return;
    this.fileGone = fileGoneReason(this.location);
    clearInterval(this.fileCheck);
    this.setHealth({ ok: false, reason: this.fileGone });
    const worker = this.worker;
    this.worker = undefined;
    worker?.postMessage({ close: true } satisfies WorkerRequest);
  }

  private open(): Promise<Worker> {
    if (this.closed) return Promise.reject(new InboxUnavailableError('the inbox is closed'));
    if (this.fileGone) return Promise.reject(new InboxUnavailableError(this.fileGone));
    if (this.worker) return Promise.resolve(this.worker);
    if (this.openError && Date.now() - this.openError.at < REOPEN_DELAY_MS) {
      return Promise.reject(new InboxUnavailableError(this.openError.message));
    }
    this.opening ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(path.join(__dirname, 'sqliteWorker.js'), { workerData: { file: this.location } });
      const failOpen = (message: string) => {
        this.opening = undefined;
        this.openError = { message, at: Date.now() };
        this.unhealthy(message);
        reject(new InboxUnavailableError(message));
      };
      worker.once('message', (reply: WorkerReply) => {
        if ('openError' in reply) return failOpen(reply.openError);
        this.opening = undefined;
        this.openError = undefined;
        this.worker = worker;
        worker.on('message', (message: WorkerReply) => this.onReply(message));
        this.watchFile('identity' in reply ? reply.identity : undefined);
        this.setHealth({ ok: true });
        resolve(worker);
      });
      worker.once('error', (err) => failOpen(err.message));
      worker.once('exit', () => this.onExit(worker));
    });
    return this.opening;
  }

  /** Notices the file deleted or replaced even while no delivery arrives (the status turns red at once). */
  private watchFile(identity: string | undefined): void {
    clearInterval(this.fileCheck);
    if (identity === undefined) return;
    this.fileCheck = setInterval(() => {
      if (fileIdentity(this.location) !== identity) this.lostFile();
    }, FILE_CHECK_MS);
    this.fileCheck.unref();
  }

  private onReply(reply: WorkerReply): void {
    if (!('seq' in reply)) return;
    if ('fileGone' in reply && reply.fileGone) this.lostFile();
    const waiting = this.inFlight.get(reply.seq);
    this.inFlight.delete(reply.seq);
    waiting?.resolve(reply);
  }

  private onExit(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.openError = { message: 'the inbox writer stopped', at: Date.now() };
    for (const waiting of this.inFlight.values()) waiting.reject(new InboxUnavailableError('the inbox writer stopped'));
    this.inFlight.clear();
    this.writing = false;
    if (!this.fileGone) this.unhealthy('the inbox writer stopped');
    if (this.queued()) this.flush();
  }

  private request(message: WorkerRequest & { seq: number }, on: Promise<Worker> = this.open()): Promise<WorkerReply> {
    return on.then(
      (worker) =>
        new Promise<WorkerReply>((resolve, reject) => {
          this.inFlight.set(message.seq, { resolve, reject });
          worker.postMessage(message);
        }),
    );
  }

  /** The reader worker, or the writer when a reader cannot be had (then reads wait between write groups, as before). */
  private openReader(): Promise<Worker> {
    this.reader ??= this.open().then(
      () =>
        new Promise<Worker | undefined>((resolve) => {
          const worker = new Worker(path.join(__dirname, 'sqliteWorker.js'), {
            workerData: { file: this.location, readOnly: true },
          });
          worker.once('message', (reply: WorkerReply) => {
            if ('openError' in reply) return resolve(undefined);
            worker.on('message', (message: WorkerReply) => this.onReply(message));
            worker.once('exit', () => {
              this.reader = undefined;
              for (const seq of this.readerSeqs) {
                this.inFlight.get(seq)?.reject(new InboxUnavailableError('the inbox reader stopped'));
                this.inFlight.delete(seq);
              }
              this.readerSeqs.clear();
            });
            resolve(worker);
          });
          worker.once('error', () => resolve(undefined));
        }),
    );
    return this.reader.then((reader) => reader ?? this.open());
  }

  private write<T>(op: Pending['op'], lane: Pending[] = this.queue): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      lane.push({ op, resolve: resolve as (value: unknown) => void, reject });
      this.flushSoon();
    });
  }

  private queued(): number {
    return this.accepts.length + this.queue.length;
  }

  /** The next group: the accepts first, the other writes after them and in any room kept for them. */
  private takeGroup(): Pending[] {
    const kept = Math.min(this.queue.length, MAX_GROUP_RESERVED);
    const accepts = this.accepts.splice(0, MAX_GROUP - kept);
    return accepts.concat(this.queue.splice(0, MAX_GROUP - accepts.length));
  }

  /**
   * Sends the queue once the work at hand is done (after its promise callbacks, before any timer, I/O or
   * setImmediate), so that the writes it made share a commit: those a commit's answers set off, the parts of one
   * split. Flushing at the first of them sent it alone, and every other fsync carried one delivery. Not
   * setImmediate: Node-RED hands messages on with setImmediate, and the flush would wait behind a big split's.
   */
  private flushSoon(): void {
    if (this.writing || this.flushQueued) return;
    this.flushQueued = true;
    process.nextTick(() => {
      this.flushQueued = false;
      if (!this.writing) this.flush();
    });
  }

  /**
   * A write nobody waits for (the log's lead column): it rides with the next group (no fsync of its own under
   * traffic), or goes alone after LAZY_WRITE_MS when nothing else comes.
   */
  private writeLazily(op: WriteOp): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (this.writing || this.lazyTimer) return;
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = undefined;
        if (!this.writing) this.flush();
      }, LAZY_WRITE_MS);
    });
  }

  /** Sends everything queued as one transaction; what arrives meanwhile waits for the next. */
  private flush(): void {
    clearTimeout(this.lazyTimer);
    this.lazyTimer = undefined;
    const group = this.takeGroup();
    if (group.length === 0) return;
    const batch = group.map((pending): WriteOp => {
      if (Array.isArray(pending.op)) return pending.op;
      const { id, attempt, settles, leaseUntil, leads } = pending.op;
      this.queuedEmissions.delete(id);
      return ['markEmitted', id, attempt, settles, leaseUntil, leads];
    });
    this.writing = true;
    const settleGroup = (reply: WorkerReply | Error) => {
      if (reply instanceof Error || !('values' in reply)) {
        const err =
          reply instanceof Error ? reply : new InboxUnavailableError('error' in reply ? reply.error : 'no answer');
        for (const pending of group) pending.reject(err);
      } else {
        const failed = new Map(reply.failures);
        group.forEach((pending, i) => {
          const error = failed.get(i);
          if (error === undefined) pending.resolve(reply.values[i]);
          else pending.reject(new Error(error));
        });
      }
      this.writing = false;
      if (this.queued()) this.flushSoon();
    };
    this.request({ seq: ++this.seq, batch }).then(
      (reply) => {
        if ('values' in reply) {
          this.stats.commits++;
          this.stats.writes += group.length;
        }
        settleGroup(reply);
      },
      (err: Error) => settleGroup(err instanceof InboxUnavailableError ? err : new InboxUnavailableError(err.message)),
    );
  }

  private async read<T>(op: ReadOp): Promise<T> {
    const onReader = op.op === 'list' || op.op === 'get' || op.op === 'ids';
    const seq = ++this.seq;
    if (onReader) this.readerSeqs.add(seq);
    const reply = await this.request({ seq, read: op }, onReader ? this.openReader() : this.open()).finally(() =>
      this.readerSeqs.delete(seq),
    );
    if ('values' in reply) return reply.values[0] as T;
    throw new InboxUnavailableError('error' in reply ? reply.error : 'no answer');
  }

  accept(delivery: IncomingDelivery): Promise<AcceptResult> {
    const { rawBody } = delivery;
    // A view into a larger buffer (a socket read) would be cloned whole to the writer; send just the body's bytes.
    if (rawBody.byteOffset !== 0 || rawBody.byteLength !== rawBody.buffer.byteLength)
      delivery = { ...delivery, rawBody: Buffer.from(rawBody) };
    return this.write<number>(['accept', packDelivery(delivery)], this.accepts).then((id) =>
      id > 0 ? { stored: true, id: String(id) } : { stored: false, duplicateOf: String(-id) },
    );
  }

  logRejected(request: RejectedRequest): void {
    this.write(['logRejected', request, this.refusedBound]).catch(() => {
      /* the refusal was answered; its log line is best effort */
    });
  }

  markEmitted(
    id: string,
    emission: { attempt: number; settles: boolean; leaseUntil?: number; leads?: LeadSummary[] },
  ): Promise<void> {
    const queued: QueuedEmission = {
      id,
      attempt: emission.attempt,
      settles: emission.settles,
      leaseUntil: emission.leaseUntil ?? null,
      leads: emission.leads ?? null,
    };
    this.queuedEmissions.set(id, queued);
    return this.write(queued);
  }

  noteLeads(id: string, leads: LeadSummary[]): void {
    // Lead map runs right after the emission, usually while its markEmitted still waits for the commit in progress.
    const queued = this.queuedEmissions.get(id);
    if (queued) {
      queued.leads = [...(queued.leads ?? []), ...leads];
      return;
    }
    this.writeLazily(['noteLeads', id, leads]).catch(() => {
      /* the log's lead column only */
    });
  }

  settle(id: string, record: SettleRecord): Promise<DeliveryState | undefined> {
    return this.write(['settle', id, record]);
  }

  claimDue(options: ClaimOptions): Promise<DueDelivery[]> {
    return this.write<DueDelivery[]>(['claimDue', options]).then((due) =>
      // Buffers arrive from the worker as Uint8Array views.
      due.map((d) => ({ ...d, rawBody: Buffer.from(d.rawBody.buffer, d.rawBody.byteOffset, d.rawBody.byteLength) })),
    );
  }

  requestReplay(ids: string[]): Promise<number> {
    return this.write(['requestReplay', ids]);
  }

  list(filter: DeliveryFilter): Promise<DeliverySummary[]> {
    return this.read({ op: 'list', args: [filter] });
  }

  get(id: string): Promise<DeliveryRecord | undefined> {
    return this.read({ op: 'get', args: [id] });
  }

  ids(filter: DeliveryFilter): Promise<string[]> {
    return this.read({ op: 'ids', args: [filter] });
  }

  deliveryStats(filter: DeliveryFilter, buckets: StatsBuckets): Promise<DeliveryStats> {
    return this.read({ op: 'deliveryStats', args: [filter, buckets] });
  }

  async erase(email: string): Promise<number> {
    const erased = await this.write<number>(['erase', email]);
    // The WAL still holds the pages as they were before the erasure until a checkpoint copies and truncates it.
    if (erased) await this.read({ op: 'checkpoint', args: [] });
    return erased;
  }

  /** Purges step by step, so deliveries arriving meanwhile are committed between steps. */
  async purge(policy: RetentionPolicy): Promise<number> {
    if (policy.refused) this.refusedBound = policy.refused;
    let total = 0;
    for (;;) {
      const removed = await this.write<number>(['purgeStep', policy, Date.now()]);
      total += removed;
      if (removed === 0) break;
    }
    if (total) await this.read({ op: 'checkpoint', args: [] });
    return total;
  }

  /** Pages in use and the file's size, in bytes. */
  sizes(): Promise<{ usedBytes: number; fileBytes: number }> {
    return this.read({ op: 'sizes', args: [] });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    clearInterval(this.fileCheck);
    this.healthSignal.clear();
    // Let queued writes finish: they were (or are about to be) acknowledged.
    if (!this.writing && this.queued()) this.flush();
    while (this.writing || this.queued()) await new Promise((resolve) => setTimeout(resolve, 5));
    this.closed = true;
    const reader = await this.reader?.catch(() => undefined);
    this.reader = undefined;
    if (reader)
      await new Promise<void>((resolve) => {
        reader.once('exit', () => resolve());
        reader.postMessage({ close: true } satisfies WorkerRequest);
      });
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage({ close: true } satisfies WorkerRequest);
    });
  }
}
