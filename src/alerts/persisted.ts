import fs from 'node:fs';
import path from 'node:path';
import type { PersistedProblems } from './problems';

/** The open problems of every alert node, beside the embedded inbox file (one small JSON file, keyed by node id). */
export const ALERTS_FILE = 'sales-webhooks-alerts.json';

export function alertsFileBeside(inboxFile: string): string {
  return path.join(path.dirname(inboxFile), ALERTS_FILE);
}

/**
 * Reads and writes one alert node's entry. Writes replace the file atomically (temporary file, then rename), so a
 * kill -9 leaves the old or the new content, never half of one. Unreadable content reads as nothing open.
 */
export class PersistedAlerts {
  constructor(
    readonly file: string,
    private readonly alertNode: string,
  ) {}

  read(): PersistedProblems | undefined {
    return this.readAll()[this.alertNode];
  }

  /** Throws when the directory cannot be written (the caller says so once). */
  write(problems: PersistedProblems | undefined): void {
    const all = this.readAll();
    if (problems && problems.problems.length) all[this.alertNode] = problems;
    else delete all[this.alertNode];
    if (Object.keys(all).length === 0 && !fs.existsSync(this.file)) return;
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(all));
    fs.renameSync(temporary, this.file);
  }

  private readAll(): Record<string, PersistedProblems> {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, PersistedProblems>)
        : {};
    } catch {
      return {};
    }
  }
}
