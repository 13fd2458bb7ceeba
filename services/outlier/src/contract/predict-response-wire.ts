/**
 * `sightline.outlier.v1.PredictResponse` written straight into one buffer of its exact size:
 * the same bytes as the generated encoder (predict-response-wire.test.ts compares them), without
 * its writer's forks, per-value chunks and the copy `Buffer.from(finish())` makes. Predict
 * answers every call of a router's detector node, so its encoding is on the per-request path
 * (issue 11); the other RPCs keep the generated encoders.
 */
import type { outlierV1 } from '@sightline/contracts';

/** Field tags (field number << 3 | wire type) of PredictResponse, DetectorMeta, OutlierData, FeatureScores. */
const TAG_RESPONSE_META = 10;
const TAG_RESPONSE_DATA = 18;
const TAG_META_NAME = 10;
const TAG_META_KIND = 18;
const TAG_META_DETECTOR_TYPE = 26;
const TAG_META_ONLINE = 32;
const TAG_META_DATA_TYPE = 42;
const TAG_META_SCHEMA_VERSION = 48;
const TAG_META_VERSION = 56;
const TAG_DATA_IS_OUTLIER = 10;
const TAG_DATA_INSTANCE_SCORE = 18;
const TAG_DATA_THRESHOLD = 25;
const TAG_DATA_FEATURE_SCORE = 34;
const TAG_FEATURE_SCORES_SCORE = 10;

/** Bytes of `value` (an unsigned 32-bit integer) as a varint. */
function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function writeVarint(buffer: Buffer, offset: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buffer[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buffer[offset++] = v;
  return offset;
}

/** Bytes of a string field (tag, length, UTF-8), 0 for the empty string (proto3 omits it). */
function stringFieldSize(value: string): number {
  if (value === '') return 0;
  const bytes = Buffer.byteLength(value, 'utf8');
  return 1 + varintSize(bytes) + bytes;
}

function writeStringField(buffer: Buffer, offset: number, tag: number, value: string): number {
  if (value === '') return offset;
  buffer[offset++] = tag;
  offset = writeVarint(buffer, offset, Buffer.byteLength(value, 'utf8'));
  return offset + buffer.write(value, offset, 'utf8');
}

function uint32FieldSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value >>> 0);
}

function writeUint32Field(buffer: Buffer, offset: number, tag: number, value: number): number {
  if (value === 0) return offset;
  buffer[offset++] = tag;
  return writeVarint(buffer, offset, value);
}

function metaSize(meta: outlierV1.DetectorMeta): number {
  return (
    stringFieldSize(meta.name) +
    stringFieldSize(meta.kind) +
    stringFieldSize(meta.detectorType) +
    (meta.online ? 2 : 0) +
    stringFieldSize(meta.dataType) +
    uint32FieldSize(meta.schemaVersion) +
    uint32FieldSize(meta.version)
  );
}

/** Bytes of a packed repeated double field, 0 when empty. */
function packedDoublesSize(count: number): number {
  return count === 0 ? 0 : 1 + varintSize(count * 8) + count * 8;
}

function writePackedDoubles(buffer: Buffer, offset: number, tag: number, values: readonly number[]): number {
  if (values.length === 0) return offset;
  buffer[offset++] = tag;
  offset = writeVarint(buffer, offset, values.length * 8);
  for (const value of values) offset = buffer.writeDoubleLE(value, offset);
  return offset;
}

/** Bytes of a length-delimited field whose contents take `size` bytes. */
function messageFieldSize(size: number): number {
  return 1 + varintSize(size) + size;
}

function dataSize(data: outlierV1.OutlierData): number {
  const flags = data.isOutlier.length;
  let size =
    (flags === 0 ? 0 : 1 + varintSize(flags) + flags) +
    packedDoublesSize(data.instanceScore.length) +
    (data.threshold !== 0 ? 9 : 0);
  for (const row of data.featureScore) size += messageFieldSize(packedDoublesSize(row.score.length));
  return size;
}

/** The PredictResponse's bytes, as `PredictResponse.encode(message).finish()` writes them. */
export function encodePredictResponse(message: outlierV1.PredictResponse): Buffer {
  const { meta, data } = message;
  const metaBytes = meta === undefined ? 0 : metaSize(meta);
  const dataBytes = data === undefined ? 0 : dataSize(data);
  const total =
    (meta === undefined ? 0 : messageFieldSize(metaBytes)) +
    (data === undefined ? 0 : messageFieldSize(dataBytes));
  const buffer = Buffer.allocUnsafe(total);
  let offset = 0;
  if (meta !== undefined) {
    buffer[offset++] = TAG_RESPONSE_META;
    offset = writeVarint(buffer, offset, metaBytes);
    offset = writeStringField(buffer, offset, TAG_META_NAME, meta.name);
    offset = writeStringField(buffer, offset, TAG_META_KIND, meta.kind);
    offset = writeStringField(buffer, offset, TAG_META_DETECTOR_TYPE, meta.detectorType);
    if (meta.online) {
      buffer[offset++] = TAG_META_ONLINE;
      buffer[offset++] = 1;
    }
    offset = writeStringField(buffer, offset, TAG_META_DATA_TYPE, meta.dataType);
    offset = writeUint32Field(buffer, offset, TAG_META_SCHEMA_VERSION, meta.schemaVersion);
    offset = writeUint32Field(buffer, offset, TAG_META_VERSION, meta.version);
  }
  if (data !== undefined) {
    buffer[offset++] = TAG_RESPONSE_DATA;
    offset = writeVarint(buffer, offset, dataBytes);
    if (data.isOutlier.length > 0) {
      buffer[offset++] = TAG_DATA_IS_OUTLIER;
      offset = writeVarint(buffer, offset, data.isOutlier.length);
      for (const flag of data.isOutlier) buffer[offset++] = flag ? 1 : 0;
    }
    offset = writePackedDoubles(buffer, offset, TAG_DATA_INSTANCE_SCORE, data.instanceScore);
    if (data.threshold !== 0) {
      buffer[offset++] = TAG_DATA_THRESHOLD;
      offset = buffer.writeDoubleLE(data.threshold, offset);
    }
    for (const row of data.featureScore) {
      buffer[offset++] = TAG_DATA_FEATURE_SCORE;
      offset = writeVarint(buffer, offset, packedDoublesSize(row.score.length));
      offset = writePackedDoubles(buffer, offset, TAG_FEATURE_SCORES_SCORE, row.score);
    }
  }
  if (offset !== total) {
    // A sizing slip would send a corrupt message: fail the call (INTERNAL) instead.
    throw new Error(`PredictResponse: wrote ${offset} bytes of ${total}`);
  }
  return buffer;
}
