/**
 * Tensors <-> raw contents (`raw_input_contents` / `raw_output_contents`): little-endian,
 * row-major, BYTES length-prefixed. The model-server decodes every request through here,
 * so fixed-width data is a view on the incoming buffer whenever its alignment allows.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { HOST_IS_LITTLE_ENDIAN, swapByteOrderInPlace } from './byte-order.js';
import { decodeLengthPrefixed, encodeLengthPrefixed } from './bytes-elements.js';
import { checkBoolElements, validateTensor } from './create-tensor.js';
import { bytesPerElement, type FixedWidthDatatype } from './datatype.js';
import { checkConcreteShape } from './shape.js';
import { type TensorRole, tensorLabel } from './tensor-label.js';
import { TYPED_ARRAY_CLASS } from './typed-arrays.js';
import type { Datatype, Tensor, TensorDataByType } from './types.js';

/**
 * Decodes raw contents into a tensor. Fixed-width data is a view on `bytes` (no copy) when
 * `bytes.byteOffset` is a multiple of the element width on a little-endian host, and a copy
 * otherwise; BYTES elements are always views. The tensor therefore shares memory with the
 * request: treat its data as read-only.
 *
 * @param role - used only to name the tensor in errors (`input "x": ...`).
 * @throws InvalidArgumentError when the byte length is not element count x element width,
 *   for malformed BYTES, or for BOOL bytes other than 0 and 1.
 */
export function tensorFromRaw(
  name: string,
  datatype: Datatype,
  shape: readonly number[],
  bytes: Uint8Array,
  role: TensorRole = 'tensor',
): Tensor {
  const label = tensorLabel(role, name);
  if (datatype === 'BYTES') {
    const count = checkConcreteShape(shape, label);
    return { name, datatype, shape, data: decodeLengthPrefixed(bytes, count, label) };
  }
  const count = checkRawLength(name, datatype, shape, bytes, role);
  const data = viewFixedWidth(datatype, bytes, count);
  if (datatype === 'BOOL') checkBoolElements(data as Uint8Array, label);
  return { name, datatype, shape, data } as Tensor;
}

/**
 * Checks the length of a fixed-width tensor's raw contents against its shape, as
 * {@link tensorFromRaw} does, without decoding: for callers that pass the bytes on as they
 * are. Returns the element count.
 *
 * @throws InvalidArgumentError for a shape that is not concrete or a length other than
 *   element count x element width.
 */
export function checkRawLength(
  name: string,
  datatype: FixedWidthDatatype,
  shape: readonly number[],
  bytes: Uint8Array,
  role: TensorRole = 'tensor',
): number {
  const label = tensorLabel(role, name);
  const count = checkConcreteShape(shape, label);
  const width = bytesPerElement(datatype);
  const expected = count * width;
  if (bytes.byteLength !== expected) {
    throw new InvalidArgumentError(
      `${label}: expected ${expected} bytes of raw contents (${count} ${datatype} elements x ${width} bytes), got ${bytes.byteLength}`,
    );
  }
  return count;
}

/**
 * Encodes a tensor as raw contents. Fixed-width data comes back as a view on the tensor's
 * own buffer (no copy) on a little-endian host; BYTES are joined with length prefixes.
 *
 * @throws InvalidArgumentError when the tensor is malformed (see `validateTensor`).
 */
export function tensorToRaw(tensor: Tensor, role: TensorRole = 'tensor'): Uint8Array {
  validateTensor(tensor, role);
  if (tensor.datatype === 'BYTES') return encodeLengthPrefixed(tensor.data, tensorLabel(role, tensor.name));
  const data = tensor.data;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const swapped = bytes.slice();
  swapByteOrderInPlace(swapped, data.BYTES_PER_ELEMENT);
  return swapped;
}

function viewFixedWidth<D extends FixedWidthDatatype>(
  datatype: D,
  bytes: Uint8Array,
  count: number,
): TensorDataByType[D] {
  const arrayClass = TYPED_ARRAY_CLASS[datatype];
  const width = arrayClass.BYTES_PER_ELEMENT;
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % width === 0) {
    return new arrayClass(bytes.buffer, bytes.byteOffset, count);
  }
  // A copy into a fresh, aligned ArrayBuffer of exactly this length. Not `bytes.slice()`:
  // on a Buffer (what grpc-js and protobuf decoders hand us) slice() is a view, not a copy.
  const copy = Uint8Array.prototype.slice.call(bytes);
  if (!HOST_IS_LITTLE_ENDIAN) swapByteOrderInPlace(copy, width);
  return new arrayClass(copy.buffer, 0, count);
}
