/**
 * ModelInfer messages read and re-addressed at the wire level, without decoding them whole.
 *
 * Reading: {@link scanInferRequest} and {@link scanInferResponse} walk the top-level fields
 * with the same `BinaryReader` calls, in the same order, as ts-proto's generated `decode`
 * (including where it stops: a zero tag or an end-group tag ends a response; a request
 * holding one is refused as malformed), so every field they report equals what `decode`
 * would give. Tensor headers and parameter entries
 * are decoded with the generated functions themselves; raw contents are views of the
 * message's bytes, never copied.
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

/**
 * What the router reads of a ModelInferRequest without copying its raw contents: every field
 * `decode` gives (so no request is ever decoded whole), plus where the message ends.
 */
export interface ScannedInferRequest {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly parameters: { [key: string]: inference.InferParameter };
  /** Input tensor headers, decoded. */
  readonly inputs: inference.ModelInferRequest_InferInputTensor[];
  /** Requested outputs (field 6), decoded. */
  readonly outputs: inference.ModelInferRequest_InferRequestedOutputTensor[];
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

/** The top-level fields ModelInferRequest and ModelInferResponse share (1 to 4). */
interface InferEnvelope {
  modelName: string;
  modelVersion: string;
  id: string;
  readonly parameters: { [key: string]: inference.InferParameter };
  /** See {@link ScannedInferRequest.length}. */
  length: number;
}

/**
 * Walks a message's top-level fields as ts-proto's generated `decode` does: fields 1-4 are
 * read here (their tags and types are the same in a request and a response), `field`
 * reads the others it knows and says so, the rest are skipped; a zero or end-group tag
 * ends the message, as it ends `decode`.
 *
 * @throws InvalidArgumentError naming `message` and the reader's complaint when the bytes
 *   are truncated or malformed (where ts-proto's decode would throw).
 */
function scanEnvelope(
  bytes: Uint8Array,
  message: string,
  field: (tag: number, reader: BinaryReader) => boolean,
  endingTags: 'end' | 'refuse',
): InferEnvelope {
  const reader = new BinaryReader(bytes);
  const envelope: InferEnvelope = {
    modelName: '',
    modelVersion: '',
    id: '',
    parameters: {},
    length: bytes.length,
  };
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = reader.uint32();
      switch (tag) {
        case TAG_MODEL_NAME:
          envelope.modelName = reader.string();
          continue;
        case TAG_MODEL_VERSION:
          envelope.modelVersion = reader.string();
          continue;
        case TAG_ID:
          envelope.id = reader.string();
          continue;
        case TAG_PARAMETERS: {
          // The request's and the response's entry messages are the same shape.
          const entry = inference.ModelInferRequest_ParametersEntry.decode(reader, reader.uint32());
          if (entry.value !== undefined) envelope.parameters[entry.key] = entry.value;
          continue;
        }
      }
      if (field(tag, reader)) continue;
      if ((tag & 7) === 4 || tag === 0) {
        if (endingTags === 'refuse') {
          // Field number 0 does not exist and no group is open at the top level: such
          // bytes are not a message (random bytes hit one within a few tags), however
          // leniently decode stops there and answers an empty request.
          throw new Error(
            tag === 0
              ? `field number 0 at byte ${start}`
              : `end-group tag (field ${tag >>> 3}) without a start group at byte ${start}`,
          );
        }
        envelope.length = start;
        break;
      }
      reader.skip(tag & 7);
    }
  } catch (error) {
    throw malformed(message, error);
  }
  return envelope;
}

/**
 * Reads a ModelInferRequest: its fields as `decode` gives them, raw contents as views.
 * Stricter than decode in one way: a zero or end-group tag, where decode quietly ends the
 * message (so random bytes often read as an empty request, answered "model_name: must
 * name a graph or a model"), is refused as malformed.
 *
 * @throws InvalidArgumentError naming the message and the reader's complaint when the
 *   bytes are truncated or malformed (where ts-proto's decode would throw, and at a zero or
 *   end-group tag).
 */
export function scanInferRequest(bytes: Uint8Array): ScannedInferRequest {
  const inputs: inference.ModelInferRequest_InferInputTensor[] = [];
  const rawInputContents: Uint8Array[] = [];
  const outputs: inference.ModelInferRequest_InferRequestedOutputTensor[] = [];
  const envelope = scanEnvelope(
    bytes,
    'ModelInferRequest',
    (tag, reader) => {
      switch (tag) {
        case TAG_TENSORS:
          inputs.push(inference.ModelInferRequest_InferInputTensor.decode(reader, reader.uint32()));
          return true;
        case TAG_SIX:
          outputs.push(
            inference.ModelInferRequest_InferRequestedOutputTensor.decode(reader, reader.uint32()),
          );
          return true;
        case TAG_RAW_INPUT:
          rawInputContents.push(reader.bytes());
          return true;
        default:
          return false;
      }
    },
    'refuse',
  );
  return { ...envelope, inputs, outputs, rawInputContents };
}

/**
 * Reads a ModelInferResponse's fields except the raw contents' values.
 *
 * @throws InvalidArgumentError when the bytes are truncated or malformed.
 */
export function scanInferResponse(bytes: Uint8Array): ScannedInferResponse {
  const outputs: inference.ModelInferResponse_InferOutputTensor[] = [];
  const rawOutputContents: Uint8Array[] = [];
  // An upstream's answer is read as leniently as decode reads it (what follows an ending
  // tag is dropped), so forwarding it changes nothing a decoding client would see.
  const envelope = scanEnvelope(
    bytes,
    'ModelInferResponse',
    (tag, reader) => {
      switch (tag) {
        case TAG_TENSORS:
          outputs.push(inference.ModelInferResponse_InferOutputTensor.decode(reader, reader.uint32()));
          return true;
        case TAG_SIX:
          rawOutputContents.push(reader.bytes());
          return true;
        default:
          return false;
      }
    },
    'end',
  );
  return { ...envelope, outputs, rawOutputContents };
}

/**
 * The first `length` bytes of an encoded ModelInferRequest or ModelInferResponse followed
 * by `fields`: decoding the result gives the message with those fields replaced and those
 * parameter entries set. The message is copied once, nothing inside it is touched; the
 * fields are written with the generated code's writer, as its encoder writes them.
 */
export function appendInferFields(bytes: Uint8Array, length: number, fields: AppendedInferFields): Buffer {
  const writer = new BinaryWriter();
  if (fields.modelName !== undefined) writer.uint32(TAG_MODEL_NAME).string(fields.modelName);
  if (fields.modelVersion !== undefined) writer.uint32(TAG_MODEL_VERSION).string(fields.modelVersion);
  if (fields.id !== undefined) writer.uint32(TAG_ID).string(fields.id);
  const parameters = fields.parameters;
  if (parameters) {
    // As the generated encoder writes a map: one entry message per key. The request's and
    // the response's entry messages are the same shape.
    for (const key of Object.keys(parameters)) {
      const entry = { key, value: parameters[key]! };
      inference.ModelInferRequest_ParametersEntry.encode(entry, writer.uint32(TAG_PARAMETERS).fork()).join();
    }
  }
  const tail = writer.finish();
  const out = Buffer.allocUnsafe(length + tail.length);
  out.set(length === bytes.length ? bytes : bytes.subarray(0, length), 0);
  out.set(tail, length);
  return out;
}

/** `infer_response` (field 2) of a ModelStreamInferResponse. */
const TAG_STREAM_INFER_RESPONSE = 18;

/**
 * A ModelStreamInferResponse holding `response` (an encoded ModelInferResponse) and no
 * error message, as the generated encoder writes it: the answer is copied once, not decoded.
 */
export function streamInferResponse(response: Uint8Array): Buffer {
  const head = new BinaryWriter().uint32(TAG_STREAM_INFER_RESPONSE).uint32(response.length).finish();
  const out = Buffer.allocUnsafe(head.length + response.length);
  out.set(head, 0);
  out.set(response, head.length);
  return out;
}
