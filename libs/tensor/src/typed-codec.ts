/**
 * Tensors <-> typed contents (`InferTensorContents`): one repeated field per datatype
 * family. The protobuf has no 8- or 16-bit scalars, so narrow integers travel in the
 * 32-bit fields and are range-checked here; FP16 and BF16 have no field at all.
 */
import type { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { validateTensor } from './create-tensor.js';
import {
  CONTENTS_FIELD_WIRE_NAMES,
  CONTENTS_FIELDS,
  type ContentsField,
  contentsFieldOf,
  DATATYPE_INFO,
  type TypedArrayClass,
} from './datatype.js';
import { checkConcreteShape, formatShape } from './shape.js';
import { type TensorRole, tensorLabel } from './tensor-label.js';
import type { FixedWidthData } from './typed-arrays.js';
import type { Datatype, Tensor, TensorData } from './types.js';

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
  const info = DATATYPE_INFO[datatype];
  let data: TensorData;
  switch (info.element) {
    case 'bool':
      data = Uint8Array.from(values as readonly boolean[], (v) => (v ? 1 : 0));
      break;
    case 'bytes':
      data = (values as readonly Uint8Array[]).slice();
      break;
    case 'int':
      data = fill(info.arrayClass!, checkNarrow(values as readonly number[], datatype, info.range!, where));
      break;
    case 'bigint':
      data = fill(info.arrayClass!, checkWide(values as readonly bigint[], datatype, where));
      break;
    case 'float':
      data = fill(info.arrayClass!, values as readonly number[]);
      break;
    default:
      throw new InvalidArgumentError(`${label}: ${datatype} has no typed contents field`);
  }
  return { name, datatype, shape, data } as Tensor;
}

/** A typed array of `arrayClass` holding `values` (already checked to fit it). */
function fill(
  arrayClass: TypedArrayClass<FixedWidthData>,
  values: readonly (number | bigint)[],
): FixedWidthData {
  const out = new arrayClass(values.length) as { [i: number]: number | bigint };
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out as FixedWidthData;
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
  const field = contentsFieldOf(tensor.datatype);
  if (field === undefined) {
    throw new InvalidArgumentError(
      `${tensorLabel(role, tensor.name)}: ${tensor.datatype} has no typed contents field; encode it as raw contents`,
    );
  }
  const values = tensor.data as ArrayLike<number | bigint> | Uint8Array[];
  const element = DATATYPE_INFO[tensor.datatype].element;
  const encoded =
    element === 'bool'
      ? Array.from(values as Uint8Array, (v) => v !== 0)
      : element === 'bytes'
        ? (values as Uint8Array[]).map(asBuffer)
        : Array.from(values as ArrayLike<number | bigint>);
  (contents as Record<ContentsField, unknown[]>)[field] = encoded;
  return contents;
}

/** A Buffer over the same memory as `bytes` (the generated messages type bytes as Buffer). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkNarrow(
  values: readonly number[],
  datatype: Datatype,
  [min, max]: readonly [number, number],
  where: string,
): readonly number[] {
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

function checkWide(values: readonly bigint[], datatype: Datatype, where: string): readonly bigint[] {
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
