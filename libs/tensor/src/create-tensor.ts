/**
 * Building tensors from domain code (runtimes, batchers, tests) with the same checks the
 * wire decoders apply, so a malformed tensor fails where it is made, naming itself.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import { isDatatype } from './datatype.js';
import { checkConcreteShape, formatShape } from './shape.js';
import { type TensorRole, tensorLabel } from './tensor-label.js';
import { TYPED_ARRAY_CLASS } from './typed-arrays.js';
import type { Datatype, Tensor, TensorDataByType, TypedTensor } from './types.js';

/**
 * Checks that a tensor is well formed: a known datatype, a concrete shape, data of the
 * datatype's storage class with exactly as many elements as the shape, BOOL elements 0 or 1
 * and BYTES elements `Uint8Array`s. Throws `InvalidArgumentError` naming the tensor.
 */
export function validateTensor(tensor: Tensor, role: TensorRole = 'tensor'): void {
  const label = tensorLabel(role, tensor.name);
  const datatype: string = tensor.datatype;
  if (!isDatatype(datatype)) {
    throw new InvalidArgumentError(`${label}: unknown datatype ${quoteName(datatype)}`);
  }
  const count = checkConcreteShape(tensor.shape, label);
  if (tensor.datatype === 'BYTES') {
    if (!Array.isArray(tensor.data)) {
      throw new InvalidArgumentError(`${label}: BYTES data must be an array of Uint8Array`);
    }
    const index = tensor.data.findIndex((element) => !(element instanceof Uint8Array));
    if (index !== -1) {
      throw new InvalidArgumentError(`${label}: BYTES element ${index} is not a Uint8Array`);
    }
  } else {
    const expectedClass = TYPED_ARRAY_CLASS[tensor.datatype];
    if (!(tensor.data instanceof expectedClass)) {
      throw new InvalidArgumentError(
        `${label}: ${tensor.datatype} data must be a ${expectedClass.name}, got ${describe(tensor.data)}`,
      );
    }
  }
  if (tensor.data.length !== count) {
    throw new InvalidArgumentError(
      `${label}: shape ${formatShape(tensor.shape)} needs ${count} elements, data has ${tensor.data.length}`,
    );
  }
  if (tensor.datatype === 'BOOL') checkBoolElements(tensor.data, label);
}

/**
 * Makes a tensor after `validateTensor`'s checks. The data is kept, not copied. The
 * datatype parameter ties `data`'s type to the datatype at compile time.
 */
export function createTensor<D extends Datatype>(
  name: string,
  datatype: D,
  shape: readonly number[],
  data: TensorDataByType[D],
): TypedTensor<D> {
  const tensor = { name, datatype, shape, data } as TypedTensor<D>;
  validateTensor(tensor as Tensor);
  return tensor;
}

/** Rejects BOOL storage holding anything but 0 and 1 (the wire's only two values). */
export function checkBoolElements(data: Uint8Array, label: string): void {
  for (let i = 0; i < data.length; i++) {
    const value = data[i]!;
    if (value > 1) {
      throw new InvalidArgumentError(`${label}: BOOL element ${i} is ${value}; expected 0 or 1`);
    }
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value;
  return value.constructor?.name ?? 'object';
}
