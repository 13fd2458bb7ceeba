/**
 * Predict requests of the outlier and drift services written straight from the router's
 * tensors: a raw tensor's bytes go into `raw_contents` as they arrived (length checked, never
 * decoded or copied into a typed array), and the message is written field by field as the
 * generated encoder writes it (same bytes: detector-request-wire.test.ts compares them).
 * The generated path built a `Tensor` per input, a `TensorMessage` per tensor and the
 * message object first: most of a detector call's CPU in the router (issue 11).
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { InvalidArgumentError } from '@sightline/errors';
import { checkRawLength, tensorLabel, tensorToRaw } from '@sightline/tensor';
import type { RoutedTensor } from '../engine/routed-tensor.js';

/** Field tags (field number << 3 | wire type) of the Predict requests and `common.v1.Tensor`. */
const TAG_NAME = 10;
const TAG_DATA = 18;
const TAG_OUTLIER_RETURN_INSTANCE_SCORE = 24;
const TAG_OUTLIER_REQUEST_ID = 34;
const TAG_OUTLIER_RETURN_FEATURE_SCORE = 40;
const TAG_DRIFT_RETURN_P_VAL = 32;
const TAG_DRIFT_RETURN_DISTANCE = 40;
const TAG_TENSOR_NAME = 10;
const TAG_TENSOR_DATATYPE = 18;
const TAG_TENSOR_SHAPE = 26;
const TAG_TENSOR_RAW_CONTENTS = 50;

/**
 * A tensor's raw little-endian contents for a detector: a raw fixed-width tensor's own bytes
 * (their length checked as decoding would), else encoded from its values (BOOL and BYTES
 * are decoded first, which checks their elements, as the generated path did).
 */
export function rawContents(tensor: RoutedTensor): Uint8Array {
  if (!tensor.isDecoded && tensor.datatype !== 'BYTES' && tensor.datatype !== 'BOOL') {
    const raw = tensor.rawBytes();
    checkRawLength(tensor.name, tensor.datatype, tensor.shape, raw);
    return raw;
  }
  return tensorToRaw(tensor.tensor());
}

/** Writes `tensors` as repeated `common.v1.Tensor` (raw contents, no parameters) in field 2. */
function writeTensors(writer: BinaryWriter, tensors: readonly RoutedTensor[]): void {
  const names = new Set<string>();
  for (const tensor of tensors) {
    if (names.has(tensor.name)) {
      throw new InvalidArgumentError(`${tensorLabel('tensor', tensor.name)}: appears more than once`);
    }
    names.add(tensor.name);
    writeRawTensor(writer, tensor.name, tensor.datatype, tensor.shape, rawContents(tensor));
  }
}

/** Writes one `common.v1.Tensor` (raw contents, no parameters) in field 2, as the generated encoder does. */
function writeRawTensor(
  writer: BinaryWriter,
  name: string,
  datatype: string,
  shape: readonly number[],
  raw: Uint8Array,
): void {
  writer.uint32(TAG_DATA).fork();
  if (name !== '') writer.uint32(TAG_TENSOR_NAME).string(name);
  writer.uint32(TAG_TENSOR_DATATYPE).string(datatype);
  if (shape.length > 0) {
    writer.uint32(TAG_TENSOR_SHAPE).fork();
    for (const d of shape) writer.int64(d);
    writer.join();
  }
  if (raw.byteLength > 0) writer.uint32(TAG_TENSOR_RAW_CONTENTS).bytes(raw);
  writer.join();
}

/** finish()'s bytes as a Buffer: a view, not a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * `sightline.outlier.v1.PredictRequest` for a verdict: instance scores on, feature scores off.
 *
 * @throws InvalidArgumentError for a duplicate tensor name or malformed contents.
 */
export function encodeOutlierPredict(
  detector: string,
  tensors: readonly RoutedTensor[],
  requestId: string,
): Buffer {
  const writer = new BinaryWriter();
  if (detector !== '') writer.uint32(TAG_NAME).string(detector);
  writeTensors(writer, tensors);
  writer.uint32(TAG_OUTLIER_RETURN_INSTANCE_SCORE).bool(true);
  if (requestId !== '') writer.uint32(TAG_OUTLIER_REQUEST_ID).string(requestId);
  writer.uint32(TAG_OUTLIER_RETURN_FEATURE_SCORE).bool(false);
  return asBuffer(writer.finish());
}

/**
 * `sightline.drift.v1.PredictRequest` for a verdict: batch drift type (the default, not
 * written), p-values on, distances off.
 *
 * @throws InvalidArgumentError for a duplicate tensor name or malformed contents.
 */
export function encodeDriftPredict(detector: string, tensors: readonly RoutedTensor[]): Buffer {
  const writer = new BinaryWriter();
  if (detector !== '') writer.uint32(TAG_NAME).string(detector);
  writeTensors(writer, tensors);
  writer.uint32(TAG_DRIFT_RETURN_P_VAL).bool(true);
  writer.uint32(TAG_DRIFT_RETURN_DISTANCE).bool(false);
  return asBuffer(writer.finish());
}

/**
 * One tensor of a coalesced Predict: the same tensor of several calls, stacked along the
 * first (row) dimension; `chunks` are each call's raw contents, in call order.
 */
export interface StackedTensor {
  readonly name: string;
  readonly datatype: string;
  /** Rows of all calls first, then the calls' common trailing dimensions. */
  readonly shape: readonly number[];
  readonly chunks: readonly Uint8Array[];
}

/**
 * `sightline.outlier.v1.PredictRequest` for several calls' rows at once (instance scores on,
 * feature scores off, no request id: the rows belong to several requests). Each tensor's
 * chunks are written back to back as one `raw_contents`, so the service sees the same bytes a
 * request with all the rows would carry.
 */
export function encodeOutlierPredictStacked(detector: string, tensors: readonly StackedTensor[]): Buffer {
  const writer = new BinaryWriter();
  if (detector !== '') writer.uint32(TAG_NAME).string(detector);
  for (const tensor of tensors) {
    const raw = tensor.chunks.length === 1 ? tensor.chunks[0]! : Buffer.concat(tensor.chunks);
    writeRawTensor(writer, tensor.name, tensor.datatype, tensor.shape, raw);
  }
  writer.uint32(TAG_OUTLIER_RETURN_INSTANCE_SCORE).bool(true);
  writer.uint32(TAG_OUTLIER_RETURN_FEATURE_SCORE).bool(false);
  return asBuffer(writer.finish());
}
