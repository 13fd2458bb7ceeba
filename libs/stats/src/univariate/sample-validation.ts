import { InvalidArgumentError } from '@sightline/errors';

/**
 * Refuses a sample that is too small or holds NaN, naming the sample and the first bad index.
 * Infinities are ordered values and are accepted, as scipy accepts them.
 */
export function assertSample(name: string, values: ArrayLike<number>, minimumLength: number): void {
  if (values.length < minimumLength) {
    throw new InvalidArgumentError(
      `sample "${name}": needs at least ${minimumLength} observation${minimumLength === 1 ? '' : 's'}, got ${values.length}`,
      { field: name },
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) {
      throw new InvalidArgumentError(`sample "${name}", row ${i}: NaN is not allowed`, { field: name });
    }
  }
}

/**
 * The same check for an already-sorted Float64Array in O(1): a typed-array sort puts NaN last,
 * so only the last element needs looking at (the detector calls this per window and feature).
 */
export function assertSortedSample(name: string, sorted: Float64Array, minimumLength: number): void {
  if (sorted.length < minimumLength) {
    assertSample(name, sorted, minimumLength);
  }
  if (Number.isNaN(sorted[sorted.length - 1])) {
    throw new InvalidArgumentError(`sample "${name}": NaN is not allowed (found after sorting)`, {
      field: name,
    });
  }
}

/** A sorted Float64Array copy of the sample (numeric order; NaN refused before). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const copy = Float64Array.from(values);
  copy.sort();
  return copy;
}
