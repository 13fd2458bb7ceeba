/**
 * Tensors <-> typed contents (`InferTensorContents`): one repeated field per datatype
 * family. The protobuf has no 8- or 16-bit scalars, so narrow integers travel in the
 * 32-bit fields and are range-checked here; FP16 and BF16 have no field at all.
 */
import type { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { validateTensor } from './create-tensor.js';
import { CONTENTS_FIELD_WIRE_NAMES, CONTENTS_FIELDS, contentsFieldOf } from './datatype.js';
import { checkConcreteShape, formatShape } from './shape.js';
import { type TensorRole, tensorLabel } from './tensor-label.js';
import type { Datatype, Tensor } from './types.js';

/** The inclusive range of each integer datatype carried in a 32-bit contents field. */
const NARROW_INT_RANGE = {
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x8000_0000, 0x7fff_ffff],
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffff_ffff],
} as const;

/** An `InferTensorContents` with every field empty. */
export function emptyContents(): inference.InferTensorContents {
  return {
    boolContents: [],
    intContents: [],
    int64Contents: [],
    uintContents: [],
    uint64Contents: [],
    fp32Contents: [],
    fp64Contents: [],
    bytesContents: [],
  };
}

/** True when any field of `contents` holds an element (an empty message carries nothing). */
export function hasTypedContents(contents: inference.InferTensorContents | undefined): boolean {
  if (contents === undefined) return false;
  return CONTENTS_FIELDS.some((field) => (contents[field]?.length ?? 0) > 0);
}

/**
 * Decodes typed contents into a tensor. Exactly the datatype's field may hold elements,
 * their count must match the shape, and narrow integers must fit their datatype. BYTES
 * elements are kept as they are (no copies).
 *
 * @param role - used only to name the tensor in errors (`input "x": ...`).
 * @throws InvalidArgumentError for FP16/BF16 (raw only), another field in use, a count
 *   mismatch or an out-of-range value.
 */
export function tensorFromContents(
  name: string,
  datatype: Datatype,
  shape: readonly number[],
  contents: inference.InferTensorContents,
  role: TensorRole = 'tensor',
): Tensor {
  const label = tensorLabel(role, name);
  const count = checkConcreteShape(shape, label);
  const field = contentsFieldOf(datatype);
  if (field === undefined) {
    throw new InvalidArgumentError(
      `${label}: ${datatype} must be sent as raw contents; it has no typed field`,
    );
  }
  for (const other of CONTENTS_FIELDS) {
    if (other !== field && (contents[other]?.length ?? 0) > 0) {
      throw new InvalidArgumentError(
        `${label}: datatype ${datatype} uses ${CONTENTS_FIELD_WIRE_NAMES[field]}, but ${CONTENTS_FIELD_WIRE_NAMES[other]} is set`,
      );
    }
  }
  const values = contents[field] ?? [];
  if (values.length !== count) {
    throw new InvalidArgumentError(
      `${label}: shape ${formatShape(shape)} needs ${count} elements, ${CONTENTS_FIELD_WIRE_NAMES[field]} has ${values.length}`,
    );
  }
  const where = `${label}: ${CONTENTS_FIELD_WIRE_NAMES[field]}`;
  switch (datatype) {
    case 'BOOL':
      return { name, datatype, shape, data: Uint8Array.from(contents.boolContents, (v) => (v ? 1 : 0)) };
    case 'INT8':
      return {
        name,
        datatype,
        shape,
        data: Int8Array.from(checkNarrow(contents.intContents, datatype, where)),
      };
    case 'INT16':
      return {
        name,
        datatype,
        shape,
        data: Int16Array.from(checkNarrow(contents.intContents, datatype, where)),
      };
    case 'INT32':
      return {
        name,
        datatype,
        shape,
        data: Int32Array.from(checkNarrow(contents.intContents, datatype, where)),
      };
    case 'UINT8':
      return {
        name,
        datatype,
        shape,
        data: Uint8Array.from(checkNarrow(contents.uintContents, datatype, where)),
      };
    case 'UINT16':
      return {
        name,
        datatype,
        shape,
        data: Uint16Array.from(checkNarrow(contents.uintContents, datatype, where)),
      };
    case 'UINT32':
      return {
        name,
        datatype,
        shape,
        data: Uint32Array.from(checkNarrow(contents.uintContents, datatype, where)),
      };
    case 'INT64':
      return {
        name,
        datatype,
        shape,
        data: BigInt64Array.from(checkWide(contents.int64Contents, 'INT64', where)),
      };
    case 'UINT64':
      return {
        name,
        datatype,
        shape,
        data: BigUint64Array.from(checkWide(contents.uint64Contents, 'UINT64', where)),
      };
    case 'FP32':
      return { name, datatype, shape, data: Float32Array.from(contents.fp32Contents) };
    case 'FP64':
      return { name, datatype, shape, data: Float64Array.from(contents.fp64Contents) };
    case 'BYTES':
      return { name, datatype, shape, data: contents.bytesContents.slice() };
    default:
      throw new InvalidArgumentError(`${label}: ${datatype} has no typed contents field`);
  }
}

/**
 * Encodes a tensor as typed contents: only its datatype's field is filled. BYTES elements
 * become Buffers over the same memory (no copies).
 *
 * @throws InvalidArgumentError for FP16/BF16 (they have no typed field: encode them raw) or
 *   a malformed tensor.
 */
export function tensorToContents(tensor: Tensor, role: TensorRole = 'tensor'): inference.InferTensorContents {
  validateTensor(tensor, role);
  const contents = emptyContents();
  switch (tensor.datatype) {
    case 'BOOL':
      contents.boolContents = Array.from(tensor.data, (v) => v !== 0);
      break;
    case 'INT8':
    case 'INT16':
    case 'INT32':
      contents.intContents = Array.from(tensor.data);
      break;
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      contents.uintContents = Array.from(tensor.data);
      break;
    case 'INT64':
      contents.int64Contents = Array.from(tensor.data);
      break;
    case 'UINT64':
      contents.uint64Contents = Array.from(tensor.data);
      break;
    case 'FP32':
      contents.fp32Contents = Array.from(tensor.data);
      break;
    case 'FP64':
      contents.fp64Contents = Array.from(tensor.data);
      break;
    case 'BYTES':
      contents.bytesContents = tensor.data.map(asBuffer);
      break;
    case 'FP16':
    case 'BF16':
      throw new InvalidArgumentError(
        `${tensorLabel(role, tensor.name)}: ${tensor.datatype} has no typed contents field; encode it as raw contents`,
      );
  }
  return contents;
}

/** A Buffer over the same memory as `bytes` (the generated messages type bytes as Buffer). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkNarrow(
  values: readonly number[],
  datatype: keyof typeof NARROW_INT_RANGE,
  where: string,
): readonly number[] {
  const [min, max] = NARROW_INT_RANGE[datatype];
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(
        `${where} element ${i} is ${value}, outside the ${datatype} range [${min}, ${max}]`,
      );
    }
  }
  return values;
}

function checkWide(
  values: readonly bigint[],
  datatype: 'INT64' | 'UINT64',
  where: string,
): readonly bigint[] {
  const fits =
    datatype === 'INT64'
      ? (v: bigint) => BigInt.asIntN(64, v) === v
      : (v: bigint) => BigInt.asUintN(64, v) === v;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'bigint' || !fits(value)) {
      throw new InvalidArgumentError(`${where} element ${i} is ${String(value)}, not a ${datatype} value`);
    }
  }
  return values;
}
