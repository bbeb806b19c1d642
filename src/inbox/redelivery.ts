import type { DueDelivery, InboxStore } from './types';

export interface RedeliveryOptions {
  store: InboxStore;
  /** The `sales webhook` node whose deliveries these are. */
  node: string;
  /** Lease of an emission: unsettled when it ends, the delivery is emitted again (the lease doubles each time). */
  leaseMs: number;
  /** Emissions after which an unsettled delivery is marked failed. */
  maxAttempts: number;
  /** How often to look for expired leases. */
  pollMs: number;
  /** Whether the node's flow has a settling point (decided at each flow start). */
  settles(): boolean;
  emit(due: DueDelivery): void;
  /** The store could not be read or written; the loop keeps trying. */
  onError(err: Error): void;
}

/** Deliveries claimed per round trip to the store. */
const CLAIM_PAGE = 200;

/**
 * Hands a node's unsettled deliveries back to it: once at start (everything received or emitted but not settled
 * when Node-RED stopped), then whenever a lease ends or a replay is requested (`poke`). One claim at a time.
 */
export class Redelivery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: RedeliveryOptions) {}

  /** Recovers what the last run left unsettled, then polls. */
  start(): Promise<void> {
    if (this.timer || this.stopped) return this.running ?? Promise.resolve();
    this.timer = setInterval(() => this.poke(), this.options.pollMs);
    this.timer.unref?.();
    return this.run(true);
  }

  /** Claims and emits what is due now. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run(false);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private run(recovering: boolean): Promise<void> {
    this.running = this.claimAll(recovering)
      .catch((err: Error) => this.options.onError(err))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.poke();
        }
      });
    return this.running;
  }

  private async claimAll(recovering: boolean): Promise<void> {
    const { store, node, leaseMs, maxAttempts } = this.options;
    let afterId: string | undefined;
    // A store that does not page by afterId would hand the same deliveries back: emit each once per run, then stop.
    const emitted = new Set<string>();
    for (;;) {
      if (this.stopped) return;
      const due = await store.claimDue({
        node,
        now: Date.now(),
        leaseMs,
        maxAttempts,
        limit: CLAIM_PAGE,
        settles: this.options.settles(),
        recovering,
        afterId,
      });
      const fresh = due.filter((delivery) => !emitted.has(delivery.id));
      for (const delivery of fresh) {
        emitted.add(delivery.id);
        if (!this.stopped) this.options.emit(delivery);
      }
      // A page can come back short when the store marked some failed (attempt limit), so stop only on an empty one.
      if (fresh.length === 0) return;
      afterId = due[due.length - 1].id;
      // Let the flow take this page before the next one.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
