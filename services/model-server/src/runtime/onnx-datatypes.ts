import { InvalidArgumentError } from '@sightline/errors';
import type { Datatype } from '@sightline/tensor';
import type * as ort from 'onnxruntime-node';

/** ONNX Runtime element types and the V2 datatype each maps to. */
const ORT_TO_V2: Readonly<Partial<Record<ort.Tensor.Type, Datatype>>> = Object.freeze({
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
});

const V2_TO_ORT: Readonly<Partial<Record<Datatype, ort.Tensor.Type>>> = Object.freeze(
  Object.fromEntries(Object.entries(ORT_TO_V2).map(([ortType, v2]) => [v2, ortType])),
);

/**
 * The V2 datatype of an ONNX Runtime element type.
 *
 * @throws InvalidArgumentError for types V2 cannot carry (int4, uint4, bfloat16 in onnxruntime-node).
 */
export function v2DatatypeOf(ortType: string, what: string): Datatype {
  const datatype = ORT_TO_V2[ortType as ort.Tensor.Type];
  if (datatype === undefined) {
    throw new InvalidArgumentError(`${what}: ONNX element type "${ortType}" is not supported`);
  }
  return datatype;
}

/**
 * The ONNX Runtime element type of a V2 datatype.
 *
 * @throws InvalidArgumentError for BF16, which onnxruntime-node cannot take as a tensor.
 */
export function ortTypeOf(datatype: Datatype, what: string): ort.Tensor.Type {
  const ortType = V2_TO_ORT[datatype];
  if (ortType === undefined) {
    throw new InvalidArgumentError(`${what}: datatype ${datatype} is not supported by onnxruntime-node`);
  }
  return ortType;
}
