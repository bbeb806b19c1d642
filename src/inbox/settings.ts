import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_REFUSED_COUNT,
  DEFAULT_REFUSED_MB,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_RETENTION_MB,
  type RetentionPolicy,
} from './types';

export const DEFAULT_DATABASE_FILE = 'sales-webhooks.db';

/** `salesWebhooks.inbox` in Node-RED's settings.js. */
export interface InboxUserSettings {
  /** The database file; relative to the user directory. Default `sales-webhooks.db` there. */
  file?: string;
  retentionDays?: number;
  retentionMB?: number;
  /** Refused requests (bad signature, bad body, …) kept for the log at the most; the oldest go first. */
  refusedMax?: number;
  refusedMB?: number;
}

export interface InboxSettings {
  file: string;
  retention: RetentionPolicy;
  /** What was wrong in settings.js (the defaults are used instead), in plain words. */
  warnings: string[];
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Reads the inbox's settings from settings.js
 * (`salesWebhooks: { inbox: { file, retentionDays, retentionMB, refusedMax, refusedMB } }`).
 * Without a user directory (embedded runtimes) Node-RED's own default, ~/.node-red, is used.
 */
export function resolveInboxSettings(salesWebhooks: unknown, userDir: string | undefined): InboxSettings {
  const inbox = ((salesWebhooks as { inbox?: unknown } | undefined)?.inbox ?? {}) as InboxUserSettings;
  const warnings: string[] = [];
  const base = userDir || path.join(os.homedir(), '.node-red');
  let file = path.join(base, DEFAULT_DATABASE_FILE);
  if (inbox.file !== undefined) {
    if (typeof inbox.file === 'string' && inbox.file.trim()) file = path.resolve(base, inbox.file.trim());
    else warnings.push('salesWebhooks.inbox.file must be a file path; using the default');
  }
  const positive = (value: unknown, name: string, fallback: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (Number.isFinite(n) && n > 0) return n;
    warnings.push(`salesWebhooks.inbox.${name} must be a positive number; using ${fallback}`);
    return fallback;
  };
  const days = positive(inbox.retentionDays, 'retentionDays', DEFAULT_RETENTION_DAYS);
  const megabytes = positive(inbox.retentionMB, 'retentionMB', DEFAULT_RETENTION_MB);
  const refusedMax = Math.floor(positive(inbox.refusedMax, 'refusedMax', DEFAULT_REFUSED_COUNT));
  const refusedMB = positive(inbox.refusedMB, 'refusedMB', DEFAULT_REFUSED_MB);
  return {
    file,
    retention: {
      maxAgeMs: days * DAY_MS,
      maxBytes: megabytes * 1024 * 1024,
      refused: { maxCount: Math.max(1, refusedMax), maxBytes: refusedMB * 1024 * 1024 },
    },
    warnings,
  };
}

const PLAIN_WORDS: [RegExp, string][] = [
  [/SQLITE_FULL|ENOSPC|disk is full/i, 'disk full'],
  [/SQLITE_READONLY|EROFS|read-?only/i, 'the file is read-only'],
  [/SQLITE_BUSY|SQLITE_LOCKED|locked/i, 'the file is locked by another program'],
  [/SQLITE_PERM|SQLITE_AUTH|EACCES|EPERM|permission/i, 'no permission to write it'],
  [/directory does not exist/i, 'its folder does not exist'],
  [/SQLITE_CANTOPEN|ENOENT|unable to open|cannot open/i, 'the file cannot be opened (does its folder exist?)'],
  [/SQLITE_NOTADB|SQLITE_CORRUPT|not a database|malformed/i, 'the file is damaged or not an inbox database'],
  [/SQLITE_IOERR|I\/O/i, 'the disk reported an input/output error'],
  [/newer version/i, 'the file was written by a newer version of this package'],
];

/** Why the inbox cannot write, in words a Node-RED user can act on (the technical text stays in the log). */
export function describeInboxProblem(message: string): string {
  // The store's own reasons (another process, a deleted file) are already in plain words and name what to do.
  const own = /^INBOX_[A-Z_]+: (.*)$/s.exec(message);
  if (own) return own[1];
  for (const [pattern, words] of PLAIN_WORDS) if (pattern.test(message)) return words;
  return message.replace(/\s+/g, ' ').slice(0, 120);
}
