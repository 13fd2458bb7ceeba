/**
 * Instances and background rows as the methods see them: tensors checked against the
 * target's metadata (names, datatypes, per-row shapes), flattened to float64 feature rows,
 * and rebuilt into tensors of the same names, datatypes and per-row shapes for ModelInfer.
 *
 * A row's features are the tensors in the order the request gave them, each tensor's
 * elements of that row row-major, concatenated (the contract's header).
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import {
  bf16ToNumber,
  DATATYPES,
  type Datatype,
  formatShape,
  fp16ToNumber,
  type Tensor,
  type TensorSpec,
} from '@sightline/tensor';
import type { TargetMetadata } from './target-ports.js';

/** Datatypes the explainer perturbs: every numeric one (a float64 round-trips through its typed array); BYTES is not. */
const PERTURBABLE: ReadonlySet<Datatype> = new Set<Datatype>(DATATYPES.filter((d) => d !== 'BYTES'));

/** One tensor's place in a feature row. */
export interface TensorSlot {
  readonly name: string;
  readonly datatype: Datatype;
  /** The shape of one row (the tensor's shape without its first dimension). */
  readonly rowShape: readonly number[];
  /** Elements per row. */
  readonly rowElements: number;
  /** Where its elements start in a feature row. */
  readonly offset: number;
}

/** How feature rows map to tensors. */
export interface RowLayout {
  readonly slots: readonly TensorSlot[];
  readonly featureCount: number;
}

/** Rows flattened to features. */
export interface FeatureRows {
  readonly count: number;
  /** count × featureCount values, row-major. */
  readonly rows: Float64Array;
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The element at `index` of a tensor's data as a float64. */
function elementReader(tensor: Tensor): (index: number) => number {
  switch (tensor.datatype) {
    case 'UINT64':
    case 'INT64': {
      const data = tensor.data;
      return (i) => Number(data[i]);
    }
    case 'FP16': {
      const data = tensor.data;
      return (i) => fp16ToNumber(data[i]!);
    }
    case 'BF16': {
      const data = tensor.data;
      return (i) => bf16ToNumber(data[i]!);
    }
    case 'BYTES':
      throw new Error('BYTES tensors are refused before they are read');
    default: {
      const data = tensor.data as ArrayLike<number>;
      return (i) => data[i]!;
    }
  }
}

/**
 * Checks `tensors` (first dimension the row count) against the target's inputs and answers
 * their layout and row count.
 *
 * @throws InvalidArgumentError naming `field` and the tensor (rule "instances.metadata").
 */
export function checkTensorsAgainstMetadata(
  tensors: readonly Tensor[],
  metadata: Pick<TargetMetadata, 'name' | 'inputs'>,
  field: string,
): { layout: RowLayout; count: number } {
  const rule = '(rule "instances.metadata")';
  if (tensors.length === 0)
    throw new InvalidArgumentError(`${field}: at least one tensor is required ${rule}`);
  const specs = new Map<string, TensorSpec>(metadata.inputs.map((s) => [s.name, s]));
  const given = new Set(tensors.map((t) => t.name));
  for (const input of metadata.inputs) {
    if (!given.has(input.name)) {
      throw new InvalidArgumentError(
        `${field}: model ${quoteName(metadata.name)} needs input ${quoteName(input.name)}, which is missing ${rule}`,
      );
    }
  }
  let count: number | undefined;
  let offset = 0;
  const slots: TensorSlot[] = [];
  for (const tensor of tensors) {
    const label = `${field} ${quoteName(tensor.name)}`;
    const spec = specs.get(tensor.name);
    if (!spec) {
      throw new InvalidArgumentError(
        `${label}: model ${quoteName(metadata.name)} has no such input (it takes ${metadata.inputs.map((s) => quoteName(s.name)).join(', ')}) ${rule}`,
      );
    }
    if (!PERTURBABLE.has(tensor.datatype)) {
      throw new InvalidArgumentError(
        `${label}: datatype ${tensor.datatype} cannot be explained; numeric datatypes only ${rule}`,
      );
    }
    if (tensor.datatype !== spec.datatype) {
      throw new InvalidArgumentError(
        `${label}: expected datatype ${spec.datatype}, got ${tensor.datatype} ${rule}`,
      );
    }
    if (tensor.shape.length === 0) {
      throw new InvalidArgumentError(`${label}: expected a first dimension of rows, got a scalar ${rule}`);
    }
    const rowShape = tensor.shape.slice(1);
    const specRowShape = spec.shape.slice(1);
    const matches =
      rowShape.length === specRowShape.length &&
      specRowShape.every((dim, i) => dim === -1 || dim === rowShape[i]);
    if (!matches) {
      throw new InvalidArgumentError(
        `${label}: expected per-row shape ${formatShape(specRowShape)}, got ${formatShape(rowShape)} ${rule}`,
      );
    }
    const rows = tensor.shape[0]!;
    if (spec.shape[0] !== undefined && spec.shape[0] !== -1 && spec.shape[0] !== rows) {
      throw new InvalidArgumentError(`${label}: model takes ${spec.shape[0]} rows, got ${rows} ${rule}`);
    }
    if (count === undefined) count = rows;
    else if (rows !== count) {
      throw new InvalidArgumentError(
        `${label}: has ${rows} rows, the first tensor ${count}; all must have the same ${rule}`,
      );
    }
    const rowElements = product(rowShape);
    slots.push({ name: tensor.name, datatype: tensor.datatype, rowShape, rowElements, offset });
    offset += rowElements;
  }
  return { layout: { slots, featureCount: offset }, count: count ?? 0 };
}

/**
 * Flattens tensors laid out as `layout` (already checked, or checked here by name, datatype
 * and per-row shape) into feature rows.
 *
 * @throws InvalidArgumentError naming `field` when the tensors do not match the layout.
 */
export function flattenRows(tensors: readonly Tensor[], layout: RowLayout, field: string): FeatureRows {
  const rule = '(rule "instances.metadata")';
  if (tensors.length !== layout.slots.length) {
    throw new InvalidArgumentError(
      `${field}: expected ${layout.slots.length} tensors like the instances, got ${tensors.length} ${rule}`,
    );
  }
  const count = tensors[0]?.shape[0] ?? 0;
  const rows = new Float64Array(count * layout.featureCount);
  tensors.forEach((tensor, t) => {
    const slot = layout.slots[t]!;
    const label = `${field} ${quoteName(tensor.name)}`;
    if (tensor.name !== slot.name || tensor.datatype !== slot.datatype) {
      throw new InvalidArgumentError(
        `${label}: expected tensor ${quoteName(slot.name)} of ${slot.datatype} at position ${t}, as in the instances ${rule}`,
      );
    }
    const rowShape = tensor.shape.slice(1);
    if (rowShape.length !== slot.rowShape.length || rowShape.some((d, i) => d !== slot.rowShape[i])) {
      throw new InvalidArgumentError(
        `${label}: expected per-row shape ${formatShape(slot.rowShape)} as in the instances, got ${formatShape(rowShape)} ${rule}`,
      );
    }
    if (tensor.shape[0] !== count) {
      throw new InvalidArgumentError(
        `${label}: has ${tensor.shape[0]} rows, the first tensor ${count} ${rule}`,
      );
    }
    const read = elementReader(tensor);
    for (let r = 0; r < count; r++) {
      const base = r * layout.featureCount + slot.offset;
      const source = r * slot.rowElements;
      for (let e = 0; e < slot.rowElements; e++) {
        const value = read(source + e);
        // NaN or ±Infinity would reach every perturbed row and the regression, and come
        // back as NaN attributions marked complete (and cached): refused here instead.
        if (!Number.isFinite(value)) {
          throw new InvalidArgumentError(
            `${label}: row ${r}, element ${e}: must be a finite number, got ${value} (rule "instances.finite")`,
          );
        }
        rows[base + e] = value;
      }
    }
  });
  return { count, rows };
}

/** A float64 as the nearest value of an integer datatype's range. */
function toInteger(value: number, min: number, max: number): number {
  const rounded = Math.round(value);
  return Math.min(max, Math.max(min, rounded));
}

/** Nearest FP16 bit pattern of a number (round to nearest even), for perturbed FP16 rows. */
function numberToFp16(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const m = (mantissa | 0x800000) >> (1 - exponent);
    return sign | ((m + 0xfff + ((m >> 13) & 1)) >> 13);
  }
  const rounded = (exponent << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  return sign | (rest > 0x1000 || (rest === 0x1000 && rounded & 1) ? rounded + 1 : rounded);
}

/** Nearest BF16 bit pattern of a number (round to nearest even). */
function numberToBf16(value: number): number {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
  if (Number.isNaN(value)) return 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

function fill<T extends { [i: number]: number | bigint }>(
  out: T,
  rows: Float64Array,
  count: number,
  featureCount: number,
  slot: TensorSlot,
  convert: (value: number) => T[number],
): T {
  for (let r = 0; r < count; r++) {
    const base = r * featureCount + slot.offset;
    const target = r * slot.rowElements;
    for (let e = 0; e < slot.rowElements; e++) out[target + e] = convert(rows[base + e]!);
  }
  return out;
}

/**
 * Rebuilds `count` feature rows into tensors of the layout's names, datatypes and per-row
 * shapes (integers rounded and clamped to their range, BOOL at 0.5), ready for ModelInfer.
 */
export function rowsToTensors(layout: RowLayout, rows: Float64Array, count: number): Tensor[] {
  const f = layout.featureCount;
  return layout.slots.map((slot): Tensor => {
    const n = count * slot.rowElements;
    const shape = [count, ...slot.rowShape];
    const base = { name: slot.name, shape };
    switch (slot.datatype) {
      case 'FP64':
        return { ...base, datatype: 'FP64', data: fill(new Float64Array(n), rows, count, f, slot, (v) => v) };
      case 'FP32':
        return { ...base, datatype: 'FP32', data: fill(new Float32Array(n), rows, count, f, slot, (v) => v) };
      case 'FP16':
        return {
          ...base,
          datatype: 'FP16',
          data: fill(new Uint16Array(n), rows, count, f, slot, numberToFp16),
        };
      case 'BF16':
        return {
          ...base,
          datatype: 'BF16',
          data: fill(new Uint16Array(n), rows, count, f, slot, numberToBf16),
        };
      case 'BOOL':
        return {
          ...base,
          datatype: 'BOOL',
          data: fill(new Uint8Array(n), rows, count, f, slot, (v) => (v >= 0.5 ? 1 : 0)),
        };
      case 'INT8':
        return {
          ...base,
          datatype: 'INT8',
          data: fill(new Int8Array(n), rows, count, f, slot, (v) => toInteger(v, -128, 127)),
        };
      case 'INT16':
        return {
          ...base,
          datatype: 'INT16',
          data: fill(new Int16Array(n), rows, count, f, slot, (v) => toInteger(v, -32768, 32767)),
        };
      case 'INT32':
        return {
          ...base,
          datatype: 'INT32',
          data: fill(new Int32Array(n), rows, count, f, slot, (v) => toInteger(v, -(2 ** 31), 2 ** 31 - 1)),
        };
      case 'INT64':
        return {
          ...base,
          datatype: 'INT64',
          data: fill(new BigInt64Array(n), rows, count, f, slot, (v) =>
            BigInt(toInteger(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)),
          ),
        };
      case 'UINT8':
        return {
          ...base,
          datatype: 'UINT8',
          data: fill(new Uint8Array(n), rows, count, f, slot, (v) => toInteger(v, 0, 255)),
        };
      case 'UINT16':
        return {
          ...base,
          datatype: 'UINT16',
          data: fill(new Uint16Array(n), rows, count, f, slot, (v) => toInteger(v, 0, 65535)),
        };
      case 'UINT32':
        return {
          ...base,
          datatype: 'UINT32',
          data: fill(new Uint32Array(n), rows, count, f, slot, (v) => toInteger(v, 0, 2 ** 32 - 1)),
        };
      case 'UINT64':
        return {
          ...base,
          datatype: 'UINT64',
          data: fill(new BigUint64Array(n), rows, count, f, slot, (v) =>
            BigInt(toInteger(v, 0, Number.MAX_SAFE_INTEGER)),
          ),
        };
      default:
        throw new Error(`${slot.datatype} tensors are refused before they are laid out`);
    }
  });
}
