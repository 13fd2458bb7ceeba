/**
 * ModelInfer messages read and re-addressed at the wire level, without decoding them whole.
 *
 * Reading: {@link scanInferRequest} and {@link scanInferResponse} walk the top-level fields
 * with the same `BinaryReader` calls, in the same order, as ts-proto's generated `decode`
 * (including where it stops: a zero tag or an end-group tag ends the message), so every
 * field they report equals what `decode` would give. Tensor headers and parameter entries
 * are decoded with the generated functions themselves; raw contents and requested outputs
 * are only located (raw contents as views of the message's bytes, never copied).
 *
 * Re-addressing: protobuf merges a message parsed from concatenated encodings (a singular
 * field's last value wins, map entries merge key by key, repeated fields append), so
 * {@link appendInferFields} replaces `model_name`, `model_version` and `id` and sets
 * `parameters` entries by appending their encodings. It never appends a repeated field.
 */
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';

/** Tags (field number << 3 | wire type 2) shared by ModelInferRequest and ModelInferResponse. */
const TAG_MODEL_NAME = 10;
const TAG_MODEL_VERSION = 18;
const TAG_ID = 26;
const TAG_PARAMETERS = 34;
/** `inputs` in a request, `outputs` in a response. */
const TAG_TENSORS = 42;
/** `outputs` (requested outputs) in a request; `raw_output_contents` in a response. */
const TAG_SIX = 50;
/** `raw_input_contents` in a request. */
const TAG_RAW_INPUT = 58;

/** What the router reads of a ModelInferRequest without decoding it whole. */
export interface ScannedInferRequest {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly parameters: { [key: string]: inference.InferParameter };
  /** Input tensor headers, decoded. */
  readonly inputs: inference.ModelInferRequest_InferInputTensor[];
  /** How many requested outputs (field 6) the message carries; they are skipped, not decoded. */
  readonly requestedOutputs: number;
  /** `raw_input_contents`, as views of the message's bytes. */
  readonly rawInputContents: Uint8Array[];
  /**
   * Bytes that make up the message as ts-proto reads it: all of them, unless a zero or
   * end-group tag ended it early (whatever follows is ignored by every reader, so it is
   * dropped before anything is appended).
   */
  readonly length: number;
}

/** What the router reads of a ModelInferResponse without decoding it whole. */
export interface ScannedInferResponse {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly parameters: { [key: string]: inference.InferParameter };
  /** Output tensor headers, decoded. */
  readonly outputs: inference.ModelInferResponse_InferOutputTensor[];
  /** `raw_output_contents`, as views of the message's bytes. */
  readonly rawOutputContents: Uint8Array[];
  /** See {@link ScannedInferRequest.length}. */
  readonly length: number;
}

/** Fields to set by appending them to an encoded ModelInferRequest or ModelInferResponse. */
export interface AppendedInferFields {
  readonly modelName?: string;
  readonly modelVersion?: string;
  /** Set even when empty: an empty id appended replaces an id the message carried. */
  readonly id?: string;
  /** Map entries to set (entries of other keys stay). */
  readonly parameters?: { readonly [key: string]: inference.InferParameter };
}

function malformed(message: string, error: unknown): InvalidArgumentError {
  const reason = error instanceof Error ? error.message : String(error);
  return new InvalidArgumentError(`${message}: malformed protobuf: ${reason}`, { cause: error });
}

/**
 * Reads a ModelInferRequest's routing fields, parameters and tensor headers.
 *
 * @throws InvalidArgumentError naming the message and the reader's complaint when the
 *   bytes are truncated or malformed (where ts-proto's decode would throw).
 */
export function scanInferRequest(bytes: Uint8Array): ScannedInferRequest {
  const reader = new BinaryReader(bytes);
  let modelName = '';
  let modelVersion = '';
  let id = '';
  const parameters: { [key: string]: inference.InferParameter } = {};
  const inputs: inference.ModelInferRequest_InferInputTensor[] = [];
  const rawInputContents: Uint8Array[] = [];
  let requestedOutputs = 0;
  let length = bytes.length;
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = reader.uint32();
      switch (tag) {
        case TAG_MODEL_NAME:
          modelName = reader.string();
          continue;
        case TAG_MODEL_VERSION:
          modelVersion = reader.string();
          continue;
        case TAG_ID:
          id = reader.string();
          continue;
        case TAG_PARAMETERS: {
          const entry = inference.ModelInferRequest_ParametersEntry.decode(reader, reader.uint32());
          if (entry.value !== undefined) parameters[entry.key] = entry.value;
          continue;
        }
        case TAG_TENSORS:
          inputs.push(inference.ModelInferRequest_InferInputTensor.decode(reader, reader.uint32()));
          continue;
        case TAG_SIX:
          // Requested outputs: counted only (a request that has any is decoded whole).
          reader.skip(2);
          requestedOutputs += 1;
          continue;
        case TAG_RAW_INPUT:
          rawInputContents.push(reader.bytes());
          continue;
      }
      if ((tag & 7) === 4 || tag === 0) {
        length = start;
        break;
      }
      reader.skip(tag & 7);
    }
  } catch (error) {
    throw malformed('ModelInferRequest', error);
  }
  return { modelName, modelVersion, id, parameters, inputs, requestedOutputs, rawInputContents, length };
}

/**
 * Reads a ModelInferResponse's fields except the raw contents' values.
 *
 * @throws InvalidArgumentError when the bytes are truncated or malformed.
 */
export function scanInferResponse(bytes: Uint8Array): ScannedInferResponse {
  const reader = new BinaryReader(bytes);
  let modelName = '';
  let modelVersion = '';
  let id = '';
  const parameters: { [key: string]: inference.InferParameter } = {};
  const outputs: inference.ModelInferResponse_InferOutputTensor[] = [];
  const rawOutputContents: Uint8Array[] = [];
  let length = bytes.length;
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = reader.uint32();
      switch (tag) {
        case TAG_MODEL_NAME:
          modelName = reader.string();
          continue;
        case TAG_MODEL_VERSION:
          modelVersion = reader.string();
          continue;
        case TAG_ID:
          id = reader.string();
          continue;
        case TAG_PARAMETERS: {
          const entry = inference.ModelInferResponse_ParametersEntry.decode(reader, reader.uint32());
          if (entry.value !== undefined) parameters[entry.key] = entry.value;
          continue;
        }
        case TAG_TENSORS:
          outputs.push(inference.ModelInferResponse_InferOutputTensor.decode(reader, reader.uint32()));
          continue;
        case TAG_SIX:
          rawOutputContents.push(reader.bytes());
          continue;
      }
      if ((tag & 7) === 4 || tag === 0) {
        length = start;
        break;
      }
      reader.skip(tag & 7);
    }
  } catch (error) {
    throw malformed('ModelInferResponse', error);
  }
  return { modelName, modelVersion, id, parameters, outputs, rawOutputContents, length };
}

/**
 * The first `length` bytes of an encoded ModelInferRequest or ModelInferResponse followed
 * by `fields`: decoding the result gives the message with those fields replaced and those
 * parameter entries set. One copy of the message; nothing inside it is touched.
 */
export function appendInferFields(bytes: Uint8Array, length: number, fields: AppendedInferFields): Buffer {
  const writer = new BinaryWriter();
  if (fields.modelName !== undefined) writer.uint32(TAG_MODEL_NAME).string(fields.modelName);
  if (fields.modelVersion !== undefined) writer.uint32(TAG_MODEL_VERSION).string(fields.modelVersion);
  if (fields.id !== undefined) writer.uint32(TAG_ID).string(fields.id);
  const parameters = fields.parameters;
  if (parameters) {
    for (const key in parameters) {
      inference.ModelInferResponse_ParametersEntry.encode(
        { key, value: parameters[key]! },
        writer.uint32(TAG_PARAMETERS).fork(),
      ).join();
    }
  }
  const tail = writer.finish();
  const out = Buffer.allocUnsafe(length + tail.length);
  out.set(length === bytes.length ? bytes : bytes.subarray(0, length), 0);
  out.set(tail, length);
  return out;
}
