import { parentPort, workerData } from 'node:worker_threads';
import { InboxDatabase, isUnavailableError } from './sqliteDatabase';
import { INBOX_FILE_GONE } from './sqliteLock';

/**
 * The embedded inbox's writer: owns the database connection off Node-RED's event loop. A batch of writes is one
 * transaction and one fsync (group commit); reads run between batches. Started with `readOnly`, the same script is
 * the log's reader: a second connection, so a slow search never holds up an acknowledgment (WAL readers do not
 * block the writer).
 */

/** The writes the writer runs, by name. */
type WriteName =
  | 'accept'
  | 'logRejected'
  | 'markEmitted'
  | 'noteLeads'
  | 'settle'
  | 'claimDue'
  | 'requestReplay'
  | 'erase'
  | 'purgeStep';
/**
 * A write as it crosses to the writer: its name, then its arguments, in one array. An object per write ({op, args})
 * cost each side a walk over its property names, twice per delivery.
 */
export type WriteOp = { [Name in WriteName]: [Name, ...Parameters<InboxDatabase[Name]>] }[WriteName];

export type ReadOp =
  | { op: 'list'; args: Parameters<InboxDatabase['list']> }
  | { op: 'ids'; args: Parameters<InboxDatabase['ids']> }
  | { op: 'deliveryStats'; args: Parameters<InboxDatabase['deliveryStats']> }
  | { op: 'get'; args: Parameters<InboxDatabase['get']> }
  | { op: 'sizes'; args: [] }
  | { op: 'checkpoint'; args: [] };

export type WorkerRequest = { seq: number; batch: WriteOp[] } | { seq: number; read: ReadOp } | { close: true };
/** A write that failed alone (its group was stored): its index in the batch, and why. */
export type OpFailure = [index: number, error: string];
/** `values[i]` answers the batch's i-th write, unless a failure names i. */
export type WorkerReply =
  | { seq: number; values: unknown[]; failures?: OpFailure[] }
  | { seq: number; error: string; unavailable: boolean; fileGone?: boolean }
  | { opened: true; identity?: string }
  | { openError: string };

function describe(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

function read(db: InboxDatabase, request: ReadOp): unknown {
  switch (request.op) {
    case 'sizes':
      return { usedBytes: db.usedBytes(), fileBytes: db.fileBytes() };
    case 'checkpoint':
      return db.checkpoint();
    default:
      return (db[request.op] as (...args: unknown[]) => unknown).apply(db, request.args as unknown[]);
  }
}

function write(db: InboxDatabase, op: WriteOp): unknown {
  switch (op[0]) {
    case 'accept':
      return db.accept(op[1]);
    case 'noteLeads':
      return db.noteLeads(op[1], op[2]);
    default: {
      const [name, ...args] = op;
      return (db[name] as (...args: unknown[]) => unknown).apply(db, args);
    }
  }
}

if (parentPort) {
  const port = parentPort;
  let db: InboxDatabase;
  let runGroup: (batch: WriteOp[]) => unknown[];
  try {
    const { file, readOnly } = workerData as { file: string; readOnly?: boolean };
    db = new InboxDatabase(file, { readOnly });
    // Made once: better-sqlite3 builds a wrapper (and its BEGIN/COMMIT statements' lookups) at each transaction().
    runGroup = db.db.transaction((batch: WriteOp[]) => batch.map((op) => write(db, op)));
    port.postMessage({ opened: true, identity: db.identity } satisfies WorkerReply);
  } catch (err) {
    port.postMessage({ openError: describe(err) } satisfies WorkerReply);
    process.exit(0);
  }
  port.on('message', (request: WorkerRequest) => {
    if ('close' in request) {
      db.close();
      port.close();
      return;
    }
    if ('read' in request) {
      try {
        port.postMessage({ seq: request.seq, values: [read(db, request.read)] } satisfies WorkerReply);
      } catch (err) {
        port.postMessage({
          seq: request.seq,
          error: describe(err),
          unavailable: isUnavailableError(err),
        } satisfies WorkerReply);
      }
      return;
    }
    try {
      let values: unknown[];
      const failures: OpFailure[] = [];
      try {
        values = runGroup(request.batch);
      } catch (err) {
        db.keysRolledBack();
        if (isUnavailableError(err)) throw err;
        // One write failed: again with a savepoint each, so it alone fails and the rest of the group is stored.
        values = [];
        db.db.transaction(() => {
          request.batch.forEach((op, index) => {
            try {
              values.push(db.db.transaction(() => write(db, op))());
            } catch (opErr) {
              if (isUnavailableError(opErr)) throw opErr;
              values.push(undefined);
              failures.push([index, describe(opErr)]);
            }
          });
        })();
      }
      db.keysCommitted();
      // Written into a file that is no longer at its path (deleted, replaced): not on disk as far as anyone can tell.
      db.checkFile();
      port.postMessage({
        seq: request.seq,
        values,
        ...(failures.length ? { failures } : {}),
      } satisfies WorkerReply);
    } catch (err) {
      db.keysRolledBack();
      port.postMessage({
        seq: request.seq,
        error: describe(err),
        unavailable: isUnavailableError(err),
        fileGone: (err as { code?: string }).code === INBOX_FILE_GONE,
      } satisfies WorkerReply);
    }
  });
}
