/**
 * Waits until the wall clock reaches `at`. A timer counts from the event loop's cached time, which lags `Date.now()`
 * after a busy turn, so a plain `setTimeout(ms)` can end before `Date.now()` moved `ms` on; this waits the rest.
 */
export async function sleepUntil(at: number): Promise<void> {
  for (let left = at - Date.now(); left > 0; left = at - Date.now())
    await new Promise((resolve) => setTimeout(resolve, left));
}

/** Waits about `ms`; for callers that check the time again afterwards. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
