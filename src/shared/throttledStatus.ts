/** Status updates travel to every open editor; one per burst is enough. */
export const STATUS_INTERVAL_MS = 250;

export interface ThrottledStatus {
  /** Shows the status within `intervalMs`, once however often it is called meanwhile. */
  schedule(): void;
  /** Drops a pending update (on close). */
  cancel(): void;
}

export function throttledStatus(show: () => void, intervalMs = STATUS_INTERVAL_MS): ThrottledStatus {
  let timer: NodeJS.Timeout | undefined;
  return {
    schedule() {
      timer ??= setTimeout(() => {
        timer = undefined;
        show();
      }, intervalMs);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
