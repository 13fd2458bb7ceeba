/**
 * ModelInfer messages read and re-addressed at the wire level, without decoding them whole.
 *
 * Reading: {@link scanInferRequest} and {@link scanInferResponse} walk the top-level fields
 * with the same `BinaryReader` calls, in the same order, as ts-proto's generated `decode`
 * (including where it stops: a zero tag or an end-group tag ends the message), so every
 * field they report equals what `decode` would give. Tensor headers and parameter entries
 * are decoded with the generated functions themselves; raw contents are views of the
 * message's bytes, never copied.
 *
 * Re-addressing: protobuf merges a message parsed from concatenated encodings (a singular
 * field's last value wins, map entries merge key by key, repeated fields append), so
 * {@link appendInferFields} replaces `model_name`, `model_version` and `id` and sets
 * `parameters` entries by appending their encodings. It never appends a repeated field.
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';
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
 * `decode` gives (so a request that does not take the byte path is served from it, with no
 * second decode), plus where the message ends.
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
 *
 * @throws InvalidArgumentError naming the message and the reader's complaint when the
 *   bytes are truncated or malformed (where ts-proto's decode would throw).
 */
export function scanInferRequest(bytes: Uint8Array): ScannedInferRequest {
  const inputs: inference.ModelInferRequest_InferInputTensor[] = [];
  const rawInputContents: Uint8Array[] = [];
  const outputs: inference.ModelInferRequest_InferRequestedOutputTensor[] = [];
  const envelope = scanEnvelope(bytes, 'ModelInferRequest', (tag, reader) => {
    switch (tag) {
      case TAG_TENSORS:
        inputs.push(inference.ModelInferRequest_InferInputTensor.decode(reader, reader.uint32()));
        return true;
      case TAG_SIX:
        outputs.push(inference.ModelInferRequest_InferRequestedOutputTensor.decode(reader, reader.uint32()));
        return true;
      case TAG_RAW_INPUT:
        rawInputContents.push(reader.bytes());
        return true;
      default:
        return false;
    }
  });
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
  const envelope = scanEnvelope(bytes, 'ModelInferResponse', (tag, reader) => {
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
  });
  return { ...envelope, outputs, rawOutputContents };
}

/** Bytes of `value` as a protobuf varint (`value` < 2^32). */
function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}

function writeVarint(out: Buffer, pos: number, value: number): number {
  while (value >= 0x80) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

/** `string_param` (field 3) of InferParameter. */
const TAG_STRING_PARAM = 26;
const TAG_ENTRY_KEY = 10;
const TAG_ENTRY_VALUE = 18;

/** One length-delimited field to append: a tag and a payload of text, bytes or one nested field. */
interface Piece {
  readonly tag: number;
  /** Payload length in bytes. */
  readonly size: number;
  readonly text?: string;
  readonly bytes?: Uint8Array;
  readonly inner?: Piece;
}

function textPiece(tag: number, text: string): Piece {
  return { tag, text, size: Buffer.byteLength(text, 'utf8') };
}

function pieceSize(piece: Piece): number {
  return 1 + varintSize(piece.size) + piece.size;
}

/** A map entry's value: a string parameter written by hand (the common case), others by the generated code. */
function parameterPiece(value: inference.InferParameter): Piece {
  const onlyString =
    value.stringParam !== undefined &&
    value.boolParam === undefined &&
    value.int64Param === undefined &&
    value.doubleParam === undefined &&
    value.uint64Param === undefined;
  if (!onlyString) {
    const bytes = inference.InferParameter.encode(value).finish();
    return { tag: TAG_ENTRY_VALUE, bytes, size: bytes.length };
  }
  const inner = textPiece(TAG_STRING_PARAM, value.stringParam!);
  return { tag: TAG_ENTRY_VALUE, size: pieceSize(inner), inner };
}

function writePiece(out: Buffer, pos: number, piece: Piece): number {
  out[pos++] = piece.tag;
  pos = writeVarint(out, pos, piece.size);
  if (piece.inner) return writePiece(out, pos, piece.inner);
  if (piece.bytes) {
    out.set(piece.bytes, pos);
    return pos + piece.size;
  }
  return pos + out.write(piece.text!, pos, 'utf8');
}

/**
 * The first `length` bytes of an encoded ModelInferRequest or ModelInferResponse followed
 * by `fields`: decoding the result gives the message with those fields replaced and those
 * parameter entries set. One copy of the message into a buffer sized once; nothing inside
 * the message is touched. The fields are written as the generated encoder writes them.
 */
export function appendInferFields(bytes: Uint8Array, length: number, fields: AppendedInferFields): Buffer {
  const pieces: Piece[] = [];
  if (fields.modelName !== undefined) pieces.push(textPiece(TAG_MODEL_NAME, fields.modelName));
  if (fields.modelVersion !== undefined) pieces.push(textPiece(TAG_MODEL_VERSION, fields.modelVersion));
  if (fields.id !== undefined) pieces.push(textPiece(TAG_ID, fields.id));
  const entries: [Piece, Piece][] = [];
  const parameters = fields.parameters;
  if (parameters) {
    for (const key in parameters)
      entries.push([textPiece(TAG_ENTRY_KEY, key), parameterPiece(parameters[key]!)]);
  }
  let size = length;
  for (const piece of pieces) size += pieceSize(piece);
  for (const [key, value] of entries) {
    const entrySize = pieceSize(key) + pieceSize(value);
    size += 1 + varintSize(entrySize) + entrySize;
  }
  const out = Buffer.allocUnsafe(size);
  out.set(length === bytes.length ? bytes : bytes.subarray(0, length), 0);
  let pos = length;
  for (const piece of pieces) pos = writePiece(out, pos, piece);
  for (const [key, value] of entries) {
    out[pos++] = TAG_PARAMETERS;
    pos = writeVarint(out, pos, pieceSize(key) + pieceSize(value));
    pos = writePiece(out, pos, key);
    pos = writePiece(out, pos, value);
  }
  return out;
}
