/** Below this a number is epoch seconds, above it milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const MILLISECONDS_FROM = 1e11;

/** Epoch seconds or milliseconds, as a number or a string of digits, to ISO 8601; undefined when it is not a time. */
export function epochToIso(value: number | string): string | undefined {
  const n = typeof value === 'string' ? (/^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN) : value;
  if (!Number.isFinite(n)) return undefined;
  const date = new Date(Math.abs(n) >= MILLISECONDS_FROM ? n : n * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
