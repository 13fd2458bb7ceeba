/**
 * Facts about each V2 datatype: its element width on the raw wire and the typed-contents
 * field that carries it. Every other module asks here instead of repeating the tables.
 */
import type { inference } from '@sightline/contracts';
import { DATATYPES, type Datatype } from './types.js';

/** A datatype with a fixed element width (every datatype but BYTES). */
export type FixedWidthDatatype = Exclude<Datatype, 'BYTES'>;

/** The name of one repeated field of `InferTensorContents` (camelCase, as generated). */
export type ContentsField = keyof inference.InferTensorContents;

const DATATYPE_SET: ReadonlySet<string> = new Set<string>(DATATYPES);

const BYTES_PER_ELEMENT: Readonly<Record<FixedWidthDatatype, number>> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
  BF16: 2,
};

/**
 * The typed-contents field of each datatype. The narrow integer types share the 32-bit
 * fields (the protobuf has no 8- or 16-bit scalars); FP16 and BF16 have no field at all, so
 * they can only travel as raw contents.
 */
const CONTENTS_FIELD: Readonly<Record<Datatype, ContentsField | undefined>> = {
  BOOL: 'boolContents',
  UINT8: 'uintContents',
  UINT16: 'uintContents',
  UINT32: 'uintContents',
  UINT64: 'uint64Contents',
  INT8: 'intContents',
  INT16: 'intContents',
  INT32: 'intContents',
  INT64: 'int64Contents',
  FP16: undefined,
  FP32: 'fp32Contents',
  FP64: 'fp64Contents',
  BF16: undefined,
  BYTES: 'bytesContents',
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
  return datatype === 'BYTES' ? undefined : BYTES_PER_ELEMENT[datatype];
}

/**
 * The `InferTensorContents` field that carries `datatype`, or `undefined` for FP16 and
 * BF16, which have none and must be sent as raw contents.
 */
export function contentsFieldOf(datatype: Datatype): ContentsField | undefined {
  return CONTENTS_FIELD[datatype];
}

/** True for the datatypes that have no typed-contents field (FP16, BF16). */
export function isRawOnly(datatype: Datatype): boolean {
  return CONTENTS_FIELD[datatype] === undefined;
}
