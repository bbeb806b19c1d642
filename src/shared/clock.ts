/** Waits about `ms`; for callers that check the time again afterwards. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the wall clock reaches `at`. Timers run on a monotonic millisecond clock whose ticks are out of phase
 * with `Date.now()`'s, so a plain `setTimeout(ms)` can end up to 1 ms before `Date.now()` moved `ms` on.
 */
export async function sleepUntil(at: number): Promise<void> {
  for (let left = at - Date.now(); left > 0; left = at - Date.now()) await sleep(left);
}
