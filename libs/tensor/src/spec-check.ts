/** Checking a tensor against a model's declared signature (from its metadata). */
import { InvalidArgumentError } from '@sightline/errors';
import { formatShape } from './shape.js';
import { tensorLabel } from './tensor-label.js';
import type { Tensor, TensorSpec } from './types.js';

/**
 * Checks that `tensor` matches `spec`: the same datatype, the same rank, and each dim
 * equal unless the spec's dim is -1 (variable).
 *
 * @throws InvalidArgumentError like `input "input": expected shape [-1,4], got [2,5]`.
 */
export function checkAgainstSpec(tensor: Tensor, spec: TensorSpec, role: 'input' | 'output'): void {
  // The label is built only for an error: this runs for every input of every request.
  if (tensor.datatype !== spec.datatype) {
    throw new InvalidArgumentError(
      `${tensorLabel(role, tensor.name)}: expected datatype ${spec.datatype}, got ${tensor.datatype}`,
    );
  }
  const matches =
    tensor.shape.length === spec.shape.length &&
    spec.shape.every((dim, i) => dim === -1 || dim === tensor.shape[i]);
  if (!matches) {
    throw new InvalidArgumentError(
      `${tensorLabel(role, tensor.name)}: expected shape ${formatShape(spec.shape)}, got ${formatShape(tensor.shape)}`,
    );
  }
}
