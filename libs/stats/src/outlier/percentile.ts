import { InvalidArgumentError } from '@sightline/errors';

/**
 * `np.percentile(values, q)` with numpy's default linear interpolation, bit for bit: the
 * virtual index is (q / 100) (n - 1) and the interpolation uses numpy's `_lerp` form.
 * `values` is not modified (a sorted copy is taken).
 * @throws InvalidArgumentError for an empty sample or q outside [0, 100].
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new InvalidArgumentError('percentile: at least one value is required');
  if (!(q >= 0 && q <= 100)) throw new InvalidArgumentError(`percentile: q must be in [0, 100], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  const position = (q / 100) * (sorted.length - 1);
  const low = Math.floor(position);
  const fraction = position - low;
  const a = sorted[low]!;
  const b = sorted[Math.min(low + 1, sorted.length - 1)]!;
  return fraction >= 0.5 ? b - (b - a) * (1 - fraction) : a + (b - a) * fraction;
}
