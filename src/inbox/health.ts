import type { StoreHealth } from './types';

/** A store's health and who listens to it: each change is told once, a repeat of the same state not again. */
export class StoreHealthSignal {
  private readonly listeners = new Set<(health: StoreHealth) => void>();

  constructor(private value: StoreHealth) {}

  get current(): StoreHealth {
    return this.value;
  }

  /** Calls back at each change; returns the function that stops it. */
  listen(listener: (health: StoreHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(health: StoreHealth): void {
    const reason = (h: StoreHealth) => (h.ok ? undefined : h.reason);
    if (health.ok === this.value.ok && reason(health) === reason(this.value)) return;
    this.value = health;
    for (const listener of this.listeners) listener(health);
  }

  clear(): void {
    this.listeners.clear();
  }
}
