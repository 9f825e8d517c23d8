// Statistics over seeds: mean, sample standard deviation (n - 1 in the
// denominator; 0 for a single seed, as the paper's "± 0.000" rows show) and the
// standard error of the mean (std / sqrt(n)), which the tables print: with 3
// seeds the question a reader asks is how well the mean is known.

export function mean(v: readonly number[]): number {
  if (v.length === 0) throw new Error('mean of no values');
  return v.reduce((a, b) => a + b, 0) / v.length;
}

export function sampleStd(v: readonly number[]): number {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

/** A finite number, else null (fields of JSON records). */
export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A plain JSON object, else null. */
export function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** The largest of the finite numbers in `v`, in one pass (no argument spread: runs have many records); null when none. */
export function maxOf(v: Iterable<unknown>): number | null {
  let m: number | null = null;
  for (const x of v) {
    const n = num(x);
    if (n !== null && (m === null || n > m)) m = n;
  }
  return m;
}

export interface Spread {
  n: number;
  mean: number;
  std: number;
  /** Standard error of the mean: std / sqrt(n) (0 for one seed). */
  se: number;
  min: number;
  max: number;
}

/** Mean, sample std, standard error, min and max of the numbers in `v` (nulls left out); null when none. */
export function spread(v: readonly (number | null | undefined)[]): Spread | null {
  const x = v.filter((e): e is number => typeof e === 'number' && Number.isFinite(e));
  if (x.length === 0) return null;
  const std = sampleStd(x);
  return { n: x.length, mean: mean(x), std, se: std / Math.sqrt(x.length), min: Math.min(...x), max: Math.max(...x) };
}
