/**
 * The median of a weighted sample: the value where the cumulative weight first reaches half
 * of the total, the mean of the two neighbours when it lands exactly on the half (so with unit
 * weights it is `np.median`, and with integer weights the median of the values repeated that
 * many times). Used for Wachter et al.'s median absolute deviation over a weighted (k-means)
 * background.
 * @param values the sample; not modified.
 * @param weights one weight per value, each finite and > 0.
 * @throws RangeError for an empty sample, a length mismatch or a weight that is not > 0.
 */
export function weightedMedian(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  const count = values.length;
  if (count === 0) throw new RangeError('weightedMedian: at least one value is required');
  if (weights.length !== count) {
    throw new RangeError(`weightedMedian: expected ${count} weights, got ${weights.length}`);
  }
  let total = 0;
  for (let i = 0; i < count; i++) {
    const weight = weights[i]!;
    if (!(weight > 0 && Number.isFinite(weight))) {
      throw new RangeError(`weightedMedian: weights[${i}] must be finite and > 0, got ${weight}`);
    }
    total += weight;
  }
  if (allEqual(weights)) {
    // Equal weights (given or sampled rows): the plain median on a native numeric sort, many
    // times faster than ordering indices through a comparator over 10,000 values.
    const sorted = Float64Array.from(values).sort();
    const middle = count >> 1;
    return count % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  }
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const half = total / 2;
  let cumulative = 0;
  for (let rank = 0; rank < count; rank++) {
    const index = order[rank]!;
    cumulative += weights[index]!;
    // Relative tolerance: fractional weights summing in another order must not miss the tie.
    if (Math.abs(cumulative - half) <= 1e-12 * total && rank + 1 < count) {
      return (values[index]! + values[order[rank + 1]!]!) / 2;
    }
    if (cumulative > half) return values[index]!;
  }
  return values[order[count - 1]!]!;
}

function allEqual(weights: ArrayLike<number>): boolean {
  for (let i = 1; i < weights.length; i++) if (weights[i] !== weights[0]) return false;
  return true;
}
