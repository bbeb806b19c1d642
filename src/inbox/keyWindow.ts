/** A duplicate key as remembered: until when, and the delivery it was stored with (0: restored from before). */
export interface KeyClaim {
  key: string;
  expiresAt: number;
  id: number;
}

/** Forgotten entries at the front of the queue beyond which it is compacted. */
const COMPACT_AFTER = 1024;

/**
 * One node's duplicate keys, oldest first, at most `limit` of them. Every key of a node has the same window, so the
 * oldest is always first: forgetting it costs the same whatever the count. (A Map forgotten from its front keeps the
 * holes until it is rebuilt, and each walk from the front steps over all of them: 20 µs per key at 50,000 keys.)
 */
export class KeyWindow {
  private readonly claims = new Map<string, KeyClaim>();
  /** Claims in the order they were made; an entry whose key was claimed again or forgotten since is stale. */
  private queue: KeyClaim[] = [];
  private head = 0;

  constructor(public limit: number | undefined) {}

  get size(): number {
    return this.claims.size;
  }

  get(key: string): KeyClaim | undefined {
    return this.claims.get(key);
  }

  /** Remembers `key` as the newest. */
  claim(key: string, expiresAt: number, id: number): void {
    const claim: KeyClaim = { key, expiresAt, id };
    this.claims.set(key, claim);
    this.queue.push(claim);
  }

  /** Forgets keys past their window or beyond the limit, oldest first. */
  evict(now: number): void {
    const { claims, queue, limit } = this;
    while (this.head < queue.length) {
      const oldest = queue[this.head];
      if (claims.get(oldest.key) === oldest) {
        if (oldest.expiresAt > now && (limit === undefined || claims.size <= limit)) break;
        claims.delete(oldest.key);
      }
      this.head++;
    }
    if (this.head > COMPACT_AFTER && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }

  /** The keys held, oldest first. */
  entries(): KeyClaim[] {
    const live: KeyClaim[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const claim = this.queue[i];
      if (this.claims.get(claim.key) === claim) live.push(claim);
    }
    return live;
  }

  /** Replaces the keys with these, given oldest first. */
  replace(ordered: KeyClaim[]): void {
    this.claims.clear();
    this.queue = [];
    this.head = 0;
    for (const claim of ordered) this.claim(claim.key, claim.expiresAt, claim.id);
  }
}
