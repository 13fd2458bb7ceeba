/**
 * Joining and splitting tensors along dim 0, for the dynamic batcher: requests are
 * concatenated into one batch for the runtime, and its outputs split back per request.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { formatShape } from './shape.js';
import { tensorLabel } from './tensor-label.js';
import { TYPED_ARRAY_CLASS } from './typed-arrays.js';
import type { Tensor } from './types.js';

/**
 * Concatenates tensors along dim 0 into one tensor named after the first. All must share
 * the datatype, have rank >= 1 and equal trailing dims. A single tensor is returned as is.
 *
 * @throws InvalidArgumentError for an empty list or a mismatched tensor, naming it.
 */
export function concatBatch(tensors: readonly Tensor[]): Tensor {
  const first = tensors[0];
  if (first === undefined) throw new InvalidArgumentError('concatBatch needs at least one tensor');
  const trailing = first.shape.slice(1);
  let rows = 0;
  let elements = 0;
  for (const tensor of tensors) {
    const label = tensorLabel('tensor', tensor.name);
    if (tensor.datatype !== first.datatype) {
      throw new InvalidArgumentError(
        `${label}: cannot batch datatype ${tensor.datatype} with ${first.datatype}`,
      );
    }
    const sameTrailing =
      tensor.shape.length === first.shape.length && trailing.every((dim, i) => dim === tensor.shape[i + 1]);
    if (first.shape.length === 0 || !sameTrailing) {
      throw new InvalidArgumentError(
        `${label}: cannot batch shape ${formatShape(tensor.shape)} with ${formatShape(first.shape)}; dims after the first must match`,
      );
    }
    rows += tensor.shape[0]!;
    elements += tensor.data.length;
  }
  if (tensors.length === 1) return first;
  const shape = [rows, ...trailing];
  if (first.datatype === 'BYTES') {
    return {
      name: first.name,
      datatype: 'BYTES',
      shape,
      data: tensors.flatMap((t) => t.data as Uint8Array[]),
    };
  }
  const data = new TYPED_ARRAY_CLASS[first.datatype](elements);
  let offset = 0;
  for (const tensor of tensors) {
    // Same datatype was checked above, so every source has `data`'s class.
    (data as { set(source: ArrayLike<unknown>, offset: number): void }).set(
      tensor.data as ArrayLike<unknown>,
      offset,
    );
    offset += tensor.data.length;
  }
  return { name: first.name, datatype: first.datatype, shape, data } as Tensor;
}

/**
 * Splits a tensor along dim 0 into pieces of `rowCounts` rows each (in order). The pieces'
 * data are views on the tensor's (subarray/slice of references; no element copies).
 *
 * @throws InvalidArgumentError when the tensor is a scalar, a count is not a non-negative
 *   integer, or the counts do not add up to dim 0.
 */
export function splitBatch(tensor: Tensor, rowCounts: readonly number[]): Tensor[] {
  const label = tensorLabel('tensor', tensor.name);
  const rows = tensor.shape[0];
  if (rows === undefined) throw new InvalidArgumentError(`${label}: a scalar cannot be split along dim 0`);
  const badIndex = rowCounts.findIndex((n) => !Number.isSafeInteger(n) || n < 0);
  if (badIndex !== -1) {
    throw new InvalidArgumentError(
      `${label}: row count ${badIndex} is ${rowCounts[badIndex]}; row counts must be non-negative integers`,
    );
  }
  const total = rowCounts.reduce((a, b) => a + b, 0);
  if (total !== rows) {
    throw new InvalidArgumentError(
      `${label}: row counts add up to ${total}, but dim 0 of shape ${formatShape(tensor.shape)} is ${rows}`,
    );
  }
  const trailing = tensor.shape.slice(1);
  const rowSize = trailing.reduce((a, b) => a * b, 1);
  const pieces: Tensor[] = [];
  let start = 0;
  for (const count of rowCounts) {
    const end = start + count * rowSize;
    const data =
      tensor.datatype === 'BYTES' ? tensor.data.slice(start, end) : tensor.data.subarray(start, end);
    pieces.push({
      name: tensor.name,
      datatype: tensor.datatype,
      shape: [count, ...trailing],
      data,
    } as Tensor);
    start = end;
  }
  return pieces;
}
