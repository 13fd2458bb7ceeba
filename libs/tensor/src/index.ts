/**
 * @sightline/tensor: Open Inference Protocol v2 tensors <-> typed arrays, for every
 * datatype, in typed and raw contents. Domain code uses the `Tensor` types; only the
 * request/response adapters here touch generated protobuf types.
 */
export { concatBatch, splitBatch } from './batch.js';
export { BYTES_LENGTH_PREFIX_BYTES, MAX_BYTES_ELEMENT_LENGTH } from './bytes-elements.js';
export { createTensor, validateTensor } from './create-tensor.js';
export {
  bytesPerElement,
  CONTENTS_FIELD_WIRE_NAMES,
  CONTENTS_FIELDS,
  type ContentsField,
  contentsFieldOf,
  DATATYPE_INFO,
  type DatatypeInfo,
  type ElementKind,
  type FixedWidthDatatype,
  isDatatype,
  isRawOnly,
  type TypedArrayClass,
} from './datatype.js';
export {
  DECODE_LIMIT_NAMES,
  DEFAULT_MAX_ELEMENTS_PER_TENSOR,
  DEFAULT_MAX_RANK,
  DEFAULT_MAX_TENSORS,
  DEFAULT_TENSOR_DECODE_LIMITS,
  resolveDecodeLimits,
  type TensorDecodeLimits,
} from './decode-limits.js';
export { bf16ToNumber, fp16ToNumber } from './half-floats.js';
export { decodeInferInputs, type EncodedInferInputs, encodeInferInputs } from './infer-request.js';
export {
  decodeInferOutputs,
  type EncodedInferOutputs,
  encodeInferOutputs,
  responseContentsMode,
} from './infer-response.js';
export {
  type ParameterRecord,
  type ParameterValue,
  parametersToRecord,
  recordToParameters,
} from './parameters.js';
export { checkRawLength, tensorFromRaw, tensorToRaw } from './raw-codec.js';
export { checkConcreteShape, elementCount, formatShape, shapeFromWire } from './shape.js';
export { checkAgainstSpec } from './spec-check.js';
export { type TensorRole, tensorLabel } from './tensor-label.js';
export { decodeTensorMessages, encodeTensorMessages, type TensorMessage } from './tensor-message.js';
export { emptyContents, hasTypedContents, tensorFromContents, tensorToContents } from './typed-codec.js';
export * from './types.js';
export {
  type CheckedHeader,
  type ContentsMode,
  checkTensorCount,
  checkTensorHeader,
  effectiveContentsMode,
} from './wire-tensors.js';
