/** A delivery key the guard remembers, with the time (ms) it may be forgotten. */
export type RememberedDelivery = [key: string, expiresAt: number];

/**
 * Remembers delivery keys for a window, in at most `capacity` entries.
 * Every key has the same lifetime, so insertion order is expiry order: the oldest entry is always first.
 */
export class DuplicateGuard {
  private readonly expiries = new Map<string, number>();

  constructor(
    readonly windowMs: number,
    readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(windowMs > 0)) throw new RangeError('windowMs must be positive');
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  get size(): number {
    return this.expiries.size;
  }

  /** True when `key` was remembered less than the window ago. */
  has(key: string): boolean {
    const expiresAt = this.expiries.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.now()) return true;
    this.expiries.delete(key);
    return false;
  }

  remember(key: string): void {
    const now = this.now();
    this.expiries.delete(key);
    this.expiries.set(key, now + this.windowMs);
    this.evict(now);
  }

  /** Entries still in the window, oldest first: what a context store keeps across restarts. */
  snapshot(): RememberedDelivery[] {
    const now = this.now();
    this.evict(now);
    return Array.from(this.expiries);
  }

  /** Adds persisted entries that are still in the window, keeping the newest when over capacity. */
  restore(entries: unknown): void {
    if (!Array.isArray(entries)) return;
    const now = this.now();
    const merged = new Map<string, number>();
    for (const entry of entries) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number' && entry[1] > now) {
        merged.set(entry[0], Math.min(entry[1], now + this.windowMs));
      }
    }
    for (const [key, expiresAt] of this.expiries) merged.set(key, expiresAt);
    const ordered = Array.from(merged).sort((a, b) => a[1] - b[1]);
    this.expiries.clear();
    for (const [key, expiresAt] of ordered.slice(-this.capacity)) this.expiries.set(key, expiresAt);
  }

  private evict(now: number): void {
    for (const [key, expiresAt] of this.expiries) {
      if (expiresAt > now && this.expiries.size <= this.capacity) break;
      this.expiries.delete(key);
    }
  }
}
