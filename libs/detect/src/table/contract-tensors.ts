/**
 * Tensors as the services' contracts describe them: features named "<tensor>[<flat index>]"
 * (the tensor's own name for a one-element row), and domain tensors handed to the table
 * builders.
 */
import type { Tensor } from '@sightline/tensor';
import type { PlainTensor } from './table-from-tensors.js';

/** Feature names as the contracts name them: the tensor's name for a one-element row, else `t[i]`. */
export function contractColumnNames(
  tensors: readonly { name: string; shape: readonly number[] }[],
): string[] {
  const names: string[] = [];
  for (const tensor of tensors) {
    const width = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
    if (width === 1) names.push(tensor.name);
    else for (let j = 0; j < width; j++) names.push(`${tensor.name}[${j}]`);
  }
  return names;
}

/** A domain tensor as detect's table builders take it. */
export function plainTensor(tensor: Tensor): PlainTensor {
  return {
    name: tensor.name,
    shape: tensor.shape,
    data: tensor.data as PlainTensor['data'],
    datatype: tensor.datatype,
  };
}
