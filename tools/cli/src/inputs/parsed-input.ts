/**
 * An input tensor as a file or flag gave it, before the model's metadata fills in what the
 * file left out (the name of a CSV's tensor, the datatype of a JSON array).
 */
import type { Datatype } from '@sightline/tensor';

/** The elements as read: JSON values, CSV numbers, or an NPY file's typed array. */
export type ParsedValues =
  | {
      readonly kind: 'number';
      readonly values:
        | readonly number[]
        | Float32Array
        | Float64Array
        | Int8Array
        | Int16Array
        | Int32Array
        | Uint8Array
        | Uint16Array
        | Uint32Array;
    }
  | { readonly kind: 'bigint'; readonly values: readonly bigint[] | BigInt64Array | BigUint64Array }
  | { readonly kind: 'boolean'; readonly values: readonly boolean[] }
  | { readonly kind: 'string'; readonly values: readonly string[] }
  /** 16-bit patterns of FP16 or BF16 elements (from an NPY `f2` file), passed on as they are. */
  | { readonly kind: 'bits16'; readonly values: Uint16Array };

/** One input as read. */
export interface ParsedInput {
  /** The tensor's name when the source names it (V2 JSON); else the flag or metadata names it. */
  readonly name?: string;
  /** The datatype the source states as the one to send (V2 JSON `datatype`). */
  readonly datatype?: Datatype;
  /**
   * The datatype the elements are stored in (an NPY dtype, CSV's FP32): used only when
   * neither a flag nor the model's metadata says what to send, since numpy's float64
   * default should not override a model's FP32 input.
   */
  readonly storedAs?: Datatype;
  /** Dimensions, row-major. */
  readonly shape: readonly number[];
  readonly data: ParsedValues;
}
