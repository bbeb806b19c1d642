import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** The file's name in Node-RED's user directory, beside flows.json. */
export const ROTATED_TOKENS_FILE = '.sales-crm-rotated-tokens.json';

/**
 * Refresh tokens that CRM accounts were rotated to since they were deployed, kept beside the flows in one file,
 * each encrypted with the key Node-RED encrypts credentials with. Node-RED saves credentials only when flows are
 * deployed (node-red/node-red#1055), so without this a restart would send a refresh token the CRM already revoked.
 *
 * Each entry remembers which deployed refresh token it was rotated from: it wins only while the deployed one is still
 * that token, so a user who pastes a new refresh token and deploys is never overruled by an old rotation.
 */
export class RotatedRefreshTokens {
  /**
   * @param file the JSON file (in Node-RED's user directory)
   * @param secret Node-RED's credentialSecret (or its generated _credentialSecret); false stores the tokens
   *   unencrypted, as Node-RED then stores credentials
   */
  constructor(
    readonly file: string,
    private readonly secret: string | false,
  ) {}

  /** The token `accountId` was rotated to from `deployed`, or undefined when the deployed one is newer or unknown. */
  rotatedFrom(accountId: string, deployed: string | undefined): string | undefined {
    if (!deployed) return undefined;
    const entry = this.read()[accountId];
    if (!entry) return undefined;
    try {
      const { from, token } = JSON.parse(this.open(entry)) as { from?: string; token?: string };
      return from === fingerprint(deployed) && typeof token === 'string' && token ? token : undefined;
    } catch {
      // Another key (credentialSecret changed) or a damaged entry: the deployed token is all there is.
      return undefined;
    }
  }

  /** Remembers that `accountId`, deployed with `deployed`, now holds `token`. */
  remember(accountId: string, deployed: string, token: string): void {
    const all = this.read();
    all[accountId] = this.seal(JSON.stringify({ from: fingerprint(deployed), token }));
    this.write(all);
  }

  /** Forgets an account that was removed from the flows. */
  forget(accountId: string): void {
    const all = this.read();
    if (!(accountId in all)) return;
    delete all[accountId];
    this.write(all);
  }

  private read(): Record<string, string> {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  }

  /** Written whole to a temporary file and renamed, so a crash mid-write leaves the previous file intact. */
  private write(all: Record<string, string>): void {
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.file);
  }

  private key(): Buffer {
    return createHash('sha256').update(String(this.secret)).digest();
  }

  /** AES-256-GCM with Node-RED's key: iv, tag and ciphertext in one base64 string; "plain:" when encryption is off. */
  private seal(text: string): string {
    if (this.secret === false) return `plain:${text}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(), iv);
    const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
  }

  private open(entry: string): string {
    if (entry.startsWith('plain:')) {
      if (this.secret !== false) throw new Error('an unencrypted entry while credentials are encrypted');
      return entry.slice('plain:'.length);
    }
    const raw = Buffer.from(entry, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/** Which deployed token an entry was rotated from, without keeping that token. */
function fingerprint(token: string): string {
  return createHash('sha256').update(token.trim()).digest('hex');
}
