import type { Sample } from './results.js';

export interface Summary {
  count: number;
  median: number;
  /** The mean: unlike the median, it includes the rare expensive sample (a full collection). */
  mean: number;
  min: number;
  max: number;
  p25: number;
  p75: number;
}

/** The q-quantile (0…1) of an ascending array, linearly interpolated; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (at - low);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    count: sorted.length,
    median: percentile(sorted, 0.5),
    mean: sorted.length === 0 ? NaN : sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    p25: percentile(sorted, 0.25),
    p75: percentile(sorted, 0.75),
  };
}

/**
 * Ratios of two interleaved series, rotation by rotation (sample r of each ran in the
 * same rotation, seconds apart), summarized. Pairing cancels the drift that makes
 * separate runs of this box differ 1.1–3.4×; the median of the pairs is what we report.
 */
export function pairedRatio(
  numerator: readonly Sample[],
  denominator: readonly Sample[],
  pick: (sample: Sample) => number,
): Summary {
  const byRotation = new Map(denominator.map((sample) => [sample.rotation, sample]));
  const ratios: number[] = [];
  for (const sample of numerator) {
    const other = byRotation.get(sample.rotation);
    if (other !== undefined) ratios.push(pick(sample) / pick(other));
  }
  return summarize(ratios);
}

/**
 * Differences of two interleaved series, rotation by rotation (`pick(a) − pick(b)` of the
 * same rotation), summarized: what one row costs on top of another, with the drift cancelled.
 */
export function pairedDifference(
  minuend: readonly Sample[],
  subtrahend: readonly Sample[],
  pick: (sample: Sample) => number,
): Summary {
  const byRotation = new Map(subtrahend.map((sample) => [sample.rotation, sample]));
  const differences: number[] = [];
  for (const sample of minuend) {
    const other = byRotation.get(sample.rotation);
    if (other !== undefined) differences.push(pick(sample) - pick(other));
  }
  return summarize(differences);
}
