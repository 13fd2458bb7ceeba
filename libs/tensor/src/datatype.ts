/**
 * The one table of facts about each V2 datatype: its element width on the raw wire, the
 * typed-contents field that carries it, how its elements look in that field, the range of
 * a narrow integer, and the typed array that stores it. Every other module (codecs,
 * batching, the event JSON form) asks here instead of repeating the table.
 */
import type { inference } from '@sightline/contracts';
import { DATATYPES, type Datatype, type TensorDataByType } from './types.js';

/** A datatype with a fixed element width (every datatype but BYTES). */
export type FixedWidthDatatype = Exclude<Datatype, 'BYTES'>;

/** The name of one repeated field of `InferTensorContents` (camelCase, as generated). */
export type ContentsField = keyof inference.InferTensorContents;

/** The constructor shapes of a typed array class that the codecs use. */
export interface TypedArrayClass<T> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * How a datatype's elements are written as values (in typed contents, in JSON):
 * `bool` booleans (stored 0/1), `int` JS numbers that must be integers within `range`
 * (the 8- to 32-bit integers), `bigint` 64-bit integers, `float` JS numbers, `bits` raw
 * 16-bit patterns (FP16, BF16: no value form on the typed wire), `bytes` byte strings.
 */
export type ElementKind = 'bool' | 'int' | 'bigint' | 'float' | 'bits' | 'bytes';

/** One row of the datatype table. */
export interface DatatypeInfo<D extends Datatype = Datatype> {
  /** Bytes per element on the raw wire; undefined for BYTES (length-prefixed elements). */
  readonly bytesPerElement: D extends FixedWidthDatatype ? number : undefined;
  /** The typed-contents field that carries it; undefined for FP16 and BF16 (raw only). */
  readonly contentsField: ContentsField | undefined;
  /** How its elements are written as values. */
  readonly element: ElementKind;
  /** Inclusive range of an `int` element. */
  readonly range?: readonly [min: number, max: number];
  /** The storage class; undefined for BYTES (an array of Uint8Array). */
  readonly arrayClass: D extends FixedWidthDatatype ? TypedArrayClass<TensorDataByType[D]> : undefined;
}

/**
 * The table. The narrow integer types share the 32-bit fields (the protobuf has no 8- or
 * 16-bit scalars) and are range-checked; FP16 and BF16 have no field at all, so they can
 * only travel as raw contents, and keep their 16-bit patterns in a Uint16Array.
 */
export const DATATYPE_INFO: { readonly [D in Datatype]: DatatypeInfo<D> } = {
  BOOL: { bytesPerElement: 1, contentsField: 'boolContents', element: 'bool', arrayClass: Uint8Array },
  UINT8: {
    bytesPerElement: 1,
    contentsField: 'uintContents',
    element: 'int',
    range: [0, 0xff],
    arrayClass: Uint8Array,
  },
  UINT16: {
    bytesPerElement: 2,
    contentsField: 'uintContents',
    element: 'int',
    range: [0, 0xffff],
    arrayClass: Uint16Array,
  },
  UINT32: {
    bytesPerElement: 4,
    contentsField: 'uintContents',
    element: 'int',
    range: [0, 0xffff_ffff],
    arrayClass: Uint32Array,
  },
  UINT64: {
    bytesPerElement: 8,
    contentsField: 'uint64Contents',
    element: 'bigint',
    arrayClass: BigUint64Array,
  },
  INT8: {
    bytesPerElement: 1,
    contentsField: 'intContents',
    element: 'int',
    range: [-0x80, 0x7f],
    arrayClass: Int8Array,
  },
  INT16: {
    bytesPerElement: 2,
    contentsField: 'intContents',
    element: 'int',
    range: [-0x8000, 0x7fff],
    arrayClass: Int16Array,
  },
  INT32: {
    bytesPerElement: 4,
    contentsField: 'intContents',
    element: 'int',
    range: [-0x8000_0000, 0x7fff_ffff],
    arrayClass: Int32Array,
  },
  INT64: { bytesPerElement: 8, contentsField: 'int64Contents', element: 'bigint', arrayClass: BigInt64Array },
  FP16: { bytesPerElement: 2, contentsField: undefined, element: 'bits', arrayClass: Uint16Array },
  FP32: { bytesPerElement: 4, contentsField: 'fp32Contents', element: 'float', arrayClass: Float32Array },
  FP64: { bytesPerElement: 8, contentsField: 'fp64Contents', element: 'float', arrayClass: Float64Array },
  BF16: { bytesPerElement: 2, contentsField: undefined, element: 'bits', arrayClass: Uint16Array },
  BYTES: {
    bytesPerElement: undefined,
    contentsField: 'bytesContents',
    element: 'bytes',
    arrayClass: undefined,
  },
};

/** Every typed-contents field, with the snake_case name a client sees in the .proto. */
export const CONTENTS_FIELD_WIRE_NAMES: Readonly<Record<ContentsField, string>> = {
  boolContents: 'bool_contents',
  intContents: 'int_contents',
  int64Contents: 'int64_contents',
  uintContents: 'uint_contents',
  uint64Contents: 'uint64_contents',
  fp32Contents: 'fp32_contents',
  fp64Contents: 'fp64_contents',
  bytesContents: 'bytes_contents',
};

/** Every typed-contents field name. */
export const CONTENTS_FIELDS = Object.keys(CONTENTS_FIELD_WIRE_NAMES) as readonly ContentsField[];

const DATATYPE_SET: ReadonlySet<string> = new Set<string>(DATATYPES);

/** True when `value` is one of the V2 datatype names (case-sensitive, as on the wire). */
export function isDatatype(value: string): value is Datatype {
  return DATATYPE_SET.has(value);
}

/**
 * Bytes per element on the raw wire; `undefined` for BYTES, whose elements vary in length
 * (each is a 4-byte little-endian length followed by that many bytes).
 */
export function bytesPerElement(datatype: FixedWidthDatatype): number;
export function bytesPerElement(datatype: Datatype): number | undefined;
export function bytesPerElement(datatype: Datatype): number | undefined {
  return DATATYPE_INFO[datatype].bytesPerElement;
}

/**
 * The `InferTensorContents` field that carries `datatype`, or `undefined` for FP16 and
 * BF16, which have none and must be sent as raw contents.
 */
export function contentsFieldOf(datatype: Datatype): ContentsField | undefined {
  return DATATYPE_INFO[datatype]?.contentsField;
}

/** True for the datatypes that have no typed-contents field (FP16, BF16). */
export function isRawOnly(datatype: Datatype): boolean {
  return DATATYPE_INFO[datatype].contentsField === undefined;
}
