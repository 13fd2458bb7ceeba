/**
 * Shapes: element counts, the wire's bigint dims -> plain numbers, and the one way a shape
 * is written in messages (`[2,3]`).
 */
import { InvalidArgumentError } from '@sightline/errors';

/** The number of elements of a shape: the product of its dims (1 for a scalar `[]`). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

const MAX_SAFE_DIM = BigInt(Number.MAX_SAFE_INTEGER);

/** A shape as messages show it: `[2,3]`, `[-1,4]`, `[]`. */
export function formatShape(shape: readonly (number | bigint)[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Checks that a shape is concrete (every dim a non-negative safe integer, no -1) and that
 * its element count is a safe integer, then returns the count. `label` names the tensor.
 */
export function checkConcreteShape(shape: readonly number[], label: string): number {
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i]!;
    if (dim === -1) {
      throw new InvalidArgumentError(
        `${label}: dimension ${i} of shape ${formatShape(shape)} is -1; a tensor's shape must be concrete`,
      );
    }
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new InvalidArgumentError(
        `${label}: dimension ${i} of shape ${formatShape(shape)} is ${dim}; dims must be non-negative integers no larger than Number.MAX_SAFE_INTEGER`,
      );
    }
    count *= dim;
  }
  // Float products are monotonic, so a true product past 2^53 never rounds back below it.
  if (count > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError(
      `${label}: shape ${formatShape(shape)} has more than Number.MAX_SAFE_INTEGER elements`,
    );
  }
  return count;
}

/**
 * Converts a wire shape (int64 dims as bigint) to plain numbers, rejecting negative, -1,
 * non-integer and oversized dims. Plain numbers are accepted too, for hand-built messages.
 */
export function shapeFromWire(dims: readonly (bigint | number)[], label: string): number[] {
  // A bigint past 2^53 is refused here, while it can still be printed exactly: Number()
  // would round 2^62 to 4611686018427388000.
  for (let i = 0; i < dims.length; i++) {
    const dim = dims[i]!;
    if (typeof dim === 'bigint' && (dim > MAX_SAFE_DIM || dim < -1n)) {
      throw new InvalidArgumentError(
        `${label}: dimension ${i} of shape ${formatShape(dims)} is ${dim}; dims must be non-negative integers no larger than Number.MAX_SAFE_INTEGER`,
      );
    }
  }
  const shape = dims.map(Number);
  checkConcreteShape(shape, label);
  return shape;
}
