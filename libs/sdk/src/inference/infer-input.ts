/**
 * What a caller may pass as an input tensor, and its conversion to a `Tensor` of
 * libs/tensor (which then encodes it on the wire): plain nested arrays, typed arrays,
 * strings for BYTES, or a ready `Tensor`. Shapes are read from the nesting unless given;
 * datatypes from the elements unless given.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import {
  DATATYPE_INFO,
  type Datatype,
  formatShape,
  isDatatype,
  type Tensor,
  type TensorDataByType,
  validateTensor,
} from '@sightline/tensor';

/** Any typed array a tensor's elements may come in. */
export type TypedArrayData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** An element or an array of arrays of elements, nested as deep as the tensor's rank. */
export type Nested<T> = T | readonly Nested<T>[];

/**
 * A tensor's elements as a caller writes them:
 * - a typed array, flat in row-major order (its shape is `[length]` unless given);
 * - nested arrays of numbers (FP32 unless a datatype is given), booleans (BOOL), bigints
 *   (INT64), strings (BYTES, UTF-8) or `Uint8Array`s (BYTES), whose nesting is the shape;
 * - arrays of typed-array rows (`[Float32Array, Float32Array]`: FP32 [2, n], the rows'
 *   datatype unless one is given);
 * - a single number, boolean, bigint or string: one element of shape `[1]`.
 */
export type InputData =
  | TypedArrayData
  | readonly Nested<Exclude<TypedArrayData, Uint8Array>>[]
  | Nested<number>
  | Nested<boolean>
  | Nested<bigint>
  | Nested<string>
  | readonly Nested<Uint8Array>[];

/** One named input, with its shape and datatype when they should not be inferred. */
export interface InferInput {
  /** The input's name, as the model's metadata declares it. */
  readonly name: string;
  /** The elements. */
  readonly data: InputData;
  /** The shape; unset: read from the nesting (or `[length]` for a typed array). */
  readonly shape?: readonly number[];
  /**
   * The datatype; unset: FP32 for numbers, BOOL for booleans, INT64 for bigints, BYTES for
   * strings and byte arrays, and the typed array's own (`Float64Array` -> FP64,
   * `Uint8Array` -> UINT8, ...). FP16 and BF16 take their 16-bit patterns in a Uint16Array.
   */
  readonly datatype?: Datatype;
}

/**
 * A request's inputs: a list of named inputs (or ready tensors), or a record from input
 * name to its elements (or to `{ data, shape?, datatype? }`).
 */
export type InferInputs =
  | readonly (InferInput | Tensor)[]
  | Readonly<Record<string, InputData | Omit<InferInput, 'name'>>>;

/** The default datatype of each typed-array class. */
const DATATYPE_OF_ARRAY: ReadonlyMap<unknown, Datatype> = new Map<unknown, Datatype>([
  [Float32Array, 'FP32'],
  [Float64Array, 'FP64'],
  [Int8Array, 'INT8'],
  [Int16Array, 'INT16'],
  [Int32Array, 'INT32'],
  [BigInt64Array, 'INT64'],
  [Uint8Array, 'UINT8'],
  [Uint16Array, 'UINT16'],
  [Uint32Array, 'UINT32'],
  [BigUint64Array, 'UINT64'],
]);

const utf8 = new TextEncoder();

/**
 * The tensors of a request's inputs, in order.
 *
 * @throws InvalidArgumentError naming the input and the rule (ragged nesting, an element
 *   out of the datatype's range, a shape that does not match the element count).
 */
export function toTensors(inputs: InferInputs): Tensor[] {
  if (Array.isArray(inputs)) return (inputs as readonly InferInput[]).map(toTensor);
  return Object.entries(inputs as Readonly<Record<string, InputData | Omit<InferInput, 'name'>>>).map(
    ([name, value]) => toTensor(isInputSpec(value) ? { ...value, name } : { name, data: value }),
  );
}

/**
 * One input as a tensor. Typed arrays of the datatype's storage class are kept, not copied.
 *
 * @throws InvalidArgumentError naming the input and the rule it broke.
 */
export function toTensor(input: InferInput): Tensor {
  const label = `input ${quoteName(input.name)}`;
  if (input.datatype !== undefined && !isDatatype(input.datatype)) {
    throw new InvalidArgumentError(`${label}: unknown datatype ${quoteName(String(input.datatype))}`);
  }
  const { data } = input;
  if (ArrayBuffer.isView(data)) {
    const datatype = input.datatype ?? DATATYPE_OF_ARRAY.get(data.constructor);
    if (datatype === undefined) {
      throw new InvalidArgumentError(`${label}: a ${data.constructor.name} has no V2 datatype; give one`);
    }
    const shape = input.shape ?? [data.length];
    const storage = DATATYPE_INFO[datatype].arrayClass;
    if (storage !== undefined && data instanceof storage) {
      return make(input.name, datatype, shape, data as TensorDataByType[typeof datatype]);
    }
    return fromElements(input.name, datatype, shape, [...(data as Iterable<number | bigint>)], label);
  }
  const { elements, shape: nestedShape, rowDatatype } = flatten(data as Nested<unknown>, label);
  const datatype = input.datatype ?? rowDatatype ?? defaultDatatype(elements[0], label);
  return fromElements(input.name, datatype, input.shape ?? nestedShape, elements, label);
}

function isInputSpec(value: unknown): value is Omit<InferInput, 'name'> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value) &&
    'data' in value
  );
}

/** The elements of nested arrays in row-major order, and the shape the nesting spells. */
/**
 * An array level of nested input: a plain array, or a typed array as the innermost rows
 * (`[Float32Array, Float32Array]`). A Uint8Array inside an array is one BYTES element, not a row.
 */
function isLevel(value: unknown): value is ArrayLike<unknown> {
  return (
    Array.isArray(value) ||
    (ArrayBuffer.isView(value) && !(value instanceof Uint8Array) && !(value instanceof DataView))
  );
}

/**
 * The elements of nested arrays in row-major order, the shape the nesting spells, and the
 * datatype of typed-array rows (undefined for plain arrays).
 */
function flatten(
  data: Nested<unknown>,
  label: string,
): { elements: unknown[]; shape: number[]; rowDatatype: Datatype | undefined } {
  if (!Array.isArray(data)) return { elements: [data], shape: [1], rowDatatype: undefined };
  const shape: number[] = [];
  let rowDatatype: Datatype | undefined;
  for (let level: unknown = data; isLevel(level); level = level[0]) {
    shape.push(level.length);
    if (!Array.isArray(level)) rowDatatype = DATATYPE_OF_ARRAY.get(level.constructor);
    if (level.length === 0) break;
  }
  const elements: unknown[] = [];
  const walk = (value: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (isLevel(value)) {
        throw new InvalidArgumentError(
          `${label}: ragged nesting at ${path}: an array where an element belongs`,
        );
      }
      elements.push(value);
      return;
    }
    if (!isLevel(value) || value.length !== shape[depth]) {
      const got = isLevel(value) ? `${value.length} elements` : 'an element';
      throw new InvalidArgumentError(
        `${label}: ragged nesting at ${path}: expected ${shape[depth]} elements (shape ${formatShape(shape)}), got ${got}`,
      );
    }
    for (let i = 0; i < value.length; i++) walk(value[i], depth + 1, `${path}[${i}]`);
  };
  walk(data, 0, 'data');
  return { elements, shape, rowDatatype };
}

function defaultDatatype(first: unknown, label: string): Datatype {
  switch (typeof first) {
    case 'undefined': // an empty tensor: the usual model input type
    case 'number':
      return 'FP32';
    case 'boolean':
      return 'BOOL';
    case 'bigint':
      return 'INT64';
    case 'string':
      return 'BYTES';
    default:
      if (first instanceof Uint8Array) return 'BYTES';
      throw new InvalidArgumentError(
        `${label}: elements must be numbers, booleans, bigints, strings or Uint8Arrays`,
      );
  }
}

/** Converts plain elements to the datatype's storage, checking each against the datatype. */
function fromElements(
  name: string,
  datatype: Datatype,
  shape: readonly number[],
  elements: readonly unknown[],
  label: string,
): Tensor {
  const info = DATATYPE_INFO[datatype];
  const bad = (index: number, rule: string): never => {
    throw new InvalidArgumentError(
      `${label}: element ${index} is ${describe(elements[index])}; ${datatype} ${rule}`,
    );
  };
  switch (info.element) {
    case 'bytes':
      return make(
        name,
        'BYTES',
        shape,
        elements.map((element, i) =>
          typeof element === 'string'
            ? utf8.encode(element)
            : element instanceof Uint8Array
              ? element
              : bad(i, 'needs strings or Uint8Arrays'),
        ),
      );
    case 'bool': {
      const data = new Uint8Array(elements.length);
      elements.forEach((element, i) => {
        if (element === true || element === 1) data[i] = 1;
        else if (element !== false && element !== 0) bad(i, 'needs booleans (or 0 and 1)');
      });
      return make(name, 'BOOL', shape, data);
    }
    case 'bits':
      throw new InvalidArgumentError(
        `${label}: ${datatype} takes its 16-bit patterns in a Uint16Array, not ${elements.length === 0 ? 'an empty array' : describe(elements[0])}s`,
      );
    case 'bigint': {
      const ArrayClass = datatype === 'INT64' ? BigInt64Array : BigUint64Array;
      const wrap = datatype === 'INT64' ? BigInt.asIntN : BigInt.asUintN;
      const data = new ArrayClass(elements.length);
      elements.forEach((element, i) => {
        const value =
          typeof element === 'bigint'
            ? element
            : typeof element === 'number' && Number.isSafeInteger(element)
              ? BigInt(element)
              : bad(i, 'needs bigints or safe integers');
        if (wrap(64, value) !== value) bad(i, 'is out of range');
        data[i] = value;
      });
      return make(name, datatype, shape, data as TensorDataByType['INT64']);
    }
    default: {
      const ArrayClass = info.arrayClass as new (
        length: number,
      ) => Exclude<TypedArrayData, BigInt64Array | BigUint64Array>;
      const data = new ArrayClass(elements.length);
      const [min, max] = info.range ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
      for (let i = 0; i < elements.length; i++) {
        const element = elements[i];
        const value = typeof element === 'bigint' && info.element === 'int' ? Number(element) : element;
        if (typeof value !== 'number') bad(i, 'needs numbers');
        if (
          info.element === 'int' &&
          (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
        ) {
          bad(i, `needs integers in [${min}, ${max}]`);
        }
        data[i] = value as number;
        // A finite number past FP32's range would be stored as Infinity without a word.
        if (!Number.isFinite(data[i]!) && Number.isFinite(value))
          bad(i, `cannot hold it (outside its range)`);
      }
      return make(name, datatype, shape, data as TensorDataByType['FP32']);
    }
  }
}

function make<D extends Datatype>(
  name: string,
  datatype: D,
  shape: readonly number[],
  data: TensorDataByType[D],
): Tensor {
  const tensor = { name, datatype, shape: [...shape], data } as Tensor;
  validateTensor(tensor, 'input');
  return tensor;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return quoteName(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) return `a ${value.constructor?.name ?? 'object'}`;
  return String(value);
}
