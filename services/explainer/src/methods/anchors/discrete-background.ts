/**
 * The background, discretised as Alibi's Discretizer does: each numeric feature cut at the
 * background's percentiles `disc_perc` (duplicates dropped, np.unique), a value's bin being the
 * number of edges below it (np.searchsorted, side "left": bin 0 is `x <= e0`, bin k is
 * `e(k-1) < x <= ek`); a categorical feature's code is its category index. Weighted rows count
 * by their weight in the percentiles and in every draw. Built once per background and
 * settings, then shared by every row of a request.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { weightedPercentiles } from '@sightline/stats';
import type { FeatureSpace, WeightedRows } from '../method.js';

/** How one feature becomes codes. */
export type FeatureCoding =
  | { readonly kind: 'numeric'; readonly edges: Float64Array }
  | { readonly kind: 'categorical'; readonly names: readonly string[] };

/** The background with a code per value, and its rows grouped by code per feature. */
export interface DiscreteBackground {
  readonly featureCount: number;
  readonly count: number;
  readonly rows: Float64Array;
  readonly weights: Float64Array;
  /** Whether every weight is the same (draws are then plain uniform indices). */
  readonly uniformWeights: boolean;
  readonly codings: readonly FeatureCoding[];
  /** Codes per feature: numeric 0..edges.length, categorical 0..names.length (the last for a value that is no category). */
  readonly codeCounts: Int32Array;
  /** count × featureCount codes, row-major. */
  readonly codes: Int32Array;
  /** Per feature, the row indices ordered by code (stable), and where each code starts (codeCount + 1 offsets). */
  readonly rowsByCode: readonly { readonly order: Int32Array; readonly offsets: Int32Array }[];
}

/** A numeric value's bin: how many edges lie strictly below it. */
export function binOf(value: number, edges: Float64Array): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A value's code under a feature's coding (a categorical value that is no category index gets the extra code). */
export function codeOf(value: number, coding: FeatureCoding): number {
  if (coding.kind === 'numeric') return binOf(value, coding.edges);
  return Number.isInteger(value) && value >= 0 && value < coding.names.length ? value : coding.names.length;
}

/**
 * Discretises the background.
 * @param fixedCodings codings to apply instead of fitting them (another data set binned by this
 * background's edges, as a held-out check does).
 * @throws InvalidArgumentError when a background value is not finite (naming row and feature),
 * or the background is empty.
 */
export function discretiseBackground(
  background: WeightedRows,
  space: FeatureSpace,
  discPerc: readonly number[],
  fixedCodings?: readonly FeatureCoding[],
): DiscreteBackground {
  const { featureCount, count, rows, weights } = background;
  if (count === 0)
    throw new InvalidArgumentError('background: Anchors needs at least one row (rule "background.set")');
  for (let t = 0; t < count * featureCount; t++) {
    if (!Number.isFinite(rows[t]!)) {
      const feature = t % featureCount;
      throw new InvalidArgumentError(
        `background row ${Math.floor(t / featureCount)}, feature "${space.featureNames[feature]}": must be finite, got ${rows[t]}`,
      );
    }
  }
  const uniformWeights = weights.every((w) => w === weights[0]);
  const column = new Float64Array(count);
  const codings: FeatureCoding[] = [];
  for (let f = 0; f < featureCount && fixedCodings === undefined; f++) {
    const names = space.categorical.get(f);
    if (names !== undefined) {
      codings.push({ kind: 'categorical', names });
      continue;
    }
    for (let i = 0; i < count; i++) column[i] = rows[i * featureCount + f]!;
    const percentiles = weightedPercentiles(column, uniformWeights ? undefined : weights, discPerc);
    codings.push({ kind: 'numeric', edges: uniqueAscending(percentiles) });
  }
  if (fixedCodings !== undefined) codings.push(...fixedCodings);
  const codeCounts = Int32Array.from(codings, (c) =>
    c.kind === 'numeric' ? c.edges.length + 1 : c.names.length + 1,
  );
  const codes = new Int32Array(count * featureCount);
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < featureCount; f++)
      codes[i * featureCount + f] = codeOf(rows[i * featureCount + f]!, codings[f]!);
  }
  const rowsByCode = codings.map((_, f) => groupRowsByCode(codes, featureCount, count, f, codeCounts[f]!));
  return { featureCount, count, rows, weights, uniformWeights, codings, codeCounts, codes, rowsByCode };
}

/** np.unique of sorted percentiles: equal neighbours dropped (percentiles ascend with q). */
function uniqueAscending(sorted: Float64Array): Float64Array {
  const kept: number[] = [];
  for (const edge of sorted) if (kept.length === 0 || edge !== kept[kept.length - 1]) kept.push(edge);
  return Float64Array.from(kept);
}

/** A counting sort of the rows by one feature's code. */
function groupRowsByCode(
  codes: Int32Array,
  featureCount: number,
  count: number,
  feature: number,
  codeCount: number,
) {
  const offsets = new Int32Array(codeCount + 1);
  for (let i = 0; i < count; i++) offsets[codes[i * featureCount + feature]! + 1]!++;
  for (let c = 0; c < codeCount; c++) offsets[c + 1]! += offsets[c]!;
  const next = offsets.slice(0, codeCount);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[next[codes[i * featureCount + feature]!]!++] = i;
  return { order, offsets };
}
