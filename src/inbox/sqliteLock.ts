import fs from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';

/** Who writes an inbox file: kept in the file (inbox_meta 'owner') so a second process can name it. */
export interface InboxOwner {
  pid: number;
  host: string;
  since: number;
}

export const INBOX_IN_USE = 'INBOX_IN_USE';
export const INBOX_FILE_GONE = 'INBOX_FILE_GONE';

export function currentOwner(): InboxOwner {
  return { pid: process.pid, host: os.hostname(), since: Date.now() };
}

/**
 * One writer process per inbox file. The lock is SQLite's own exclusive lock on a small companion file
 * (`<file>-lock`, locking_mode EXCLUSIVE), so the operating system releases it when the process dies: a restart
 * after `kill -9` finds no stale lock, and a second Node-RED on the same file finds it taken.
 */
export class InboxFileLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock, or throws an error whose code is INBOX_IN_USE (the caller names the owner). */
  static acquire(file: string): InboxFileLock {
    const db = new Database(`${file}-lock`, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      // A write transaction takes the exclusive lock; in EXCLUSIVE locking mode it is kept until the connection closes.
      db.exec('BEGIN EXCLUSIVE; COMMIT');
      return new InboxFileLock(db);
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY')
        throw Object.assign(new Error('the inbox file is in use by another process'), { code: INBOX_IN_USE });
      throw err;
    }
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}

/** Why a second process cannot write the file, naming the first (read from the file without locking it). */
export function inUseReason(file: string): string {
  let owner: InboxOwner | undefined;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 1000 });
    try {
      const value = db.prepare(`SELECT value FROM inbox_meta WHERE key = 'owner'`).pluck().get() as string | undefined;
      owner = value ? (JSON.parse(value) as InboxOwner) : undefined;
    } finally {
      db.close();
    }
  } catch {
    /* the owner stays unnamed */
  }
  const who = owner ? `another Node-RED (pid ${owner.pid} on host ${owner.host})` : 'another Node-RED process';
  return `the inbox file ${file} is in use by ${who}; one Node-RED at a time may use it`;
}

/** The file's identity, to notice it deleted or replaced under a running process. */
export function fileIdentity(file: string): string | undefined {
  try {
    const stat = fs.statSync(file, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

export function fileGoneReason(file: string): string {
  return `the inbox file ${file} was deleted or replaced while Node-RED was running; nothing more is accepted into it. Restore the file or restart Node-RED`;
}
