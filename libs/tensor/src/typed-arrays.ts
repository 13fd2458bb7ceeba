/** The typed array class that stores each fixed-width datatype (see `TensorDataByType`). */
import type { FixedWidthDatatype } from './datatype.js';
import type { TensorDataByType } from './types.js';

/** The constructor shapes of a typed array class that the codecs use. */
export interface TypedArrayClass<T> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** A typed array of any fixed-width datatype. */
export type FixedWidthData = TensorDataByType[FixedWidthDatatype];

/** Each fixed-width datatype's storage class. */
export const TYPED_ARRAY_CLASS: { readonly [D in FixedWidthDatatype]: TypedArrayClass<TensorDataByType[D]> } =
  {
    BOOL: Uint8Array,
    UINT8: Uint8Array,
    UINT16: Uint16Array,
    UINT32: Uint32Array,
    UINT64: BigUint64Array,
    INT8: Int8Array,
    INT16: Int16Array,
    INT32: Int32Array,
    INT64: BigInt64Array,
    FP16: Uint16Array,
    FP32: Float32Array,
    FP64: Float64Array,
    BF16: Uint16Array,
  };
