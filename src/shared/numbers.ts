/**
 * A number from a dialog field (stored as a number or as text): empty means `fallback`; anything that is not a number
 * greater than zero gives undefined, for the caller to report with the field's name.
 */
export function positiveNumber(value: unknown, fallback: number): number | undefined {
  if (value === undefined || value === '' || value === null) return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
