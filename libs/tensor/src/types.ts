/**
 * The domain view of a V2 tensor: a name, a datatype, a shape of plain numbers and the
 * elements in the typed array that fits the datatype. Domain code (runtimes, batchers,
 * detectors) sees only these types, never protobuf messages.
 */

/** Every datatype of the Open Inference Protocol v2. */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BF16',
  'BYTES',
] as const;

/** A V2 datatype name, as it appears on the wire. */
export type Datatype = (typeof DATATYPES)[number];

/**
 * The element storage for each datatype.
 * - BOOL is one byte per element (0 or 1), as on the raw wire.
 * - FP16 and BF16 keep their 16-bit patterns in a Uint16Array (no lossy conversion).
 * - BYTES is one Uint8Array per element.
 */
export interface TensorDataByType {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BF16: Uint16Array;
  BYTES: Uint8Array[];
}

/** Any tensor's element storage. */
export type TensorData = TensorDataByType[Datatype];

/** A tensor of one known datatype. */
export interface TypedTensor<D extends Datatype = Datatype> {
  /** The tensor's name (an input or output name of the model). */
  readonly name: string;
  /** The tensor's datatype. */
  readonly datatype: D;
  /** Concrete dimensions (no -1); the element count is their product. */
  readonly shape: readonly number[];
  /** The elements, flattened in row-major order. */
  readonly data: TensorDataByType[D];
}

/** A tensor of any datatype; narrow on `datatype` to get the matching `data` type. */
export type Tensor = { [D in Datatype]: TypedTensor<D> }[Datatype];

/** A tensor's declared signature: shape may contain -1 for a variable dimension. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}
