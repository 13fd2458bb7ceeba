/**
 * Routed tensors <-> V2 wire tensors (headers plus raw buffers). Raw bytes are handed
 * over as Buffer views of the same memory, never copied or decoded; typed contents are
 * decoded only when a message carries them.
 */
import type { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import {
  type ContentsMode,
  checkTensorCount,
  checkTensorHeader,
  effectiveContentsMode,
  emptyContents,
  hasTypedContents,
  parametersToRecord,
  recordToParameters,
  resolveDecodeLimits,
  type TensorDecodeLimits,
  type TensorRole,
  tensorFromContents,
  tensorToContents,
} from '@sightline/tensor';
import { RoutedTensor } from '../engine/routed-tensor.js';

/** The header fields shared by request inputs and response outputs. */
export interface WireHeader {
  name: string;
  datatype: string;
  shape: bigint[];
  parameters: { [key: string]: inference.InferParameter };
  contents?: inference.InferTensorContents | undefined;
}

/** A Buffer over the same memory (gRPC's serializer wants Buffers). */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Wire tensors to routed tensors. With raw buffers each tensor keeps its buffer as is
 * (the upstream or the decoder checks it later); without, typed contents are decoded.
 *
 * @param rawField - the raw field's name for messages (`raw_input_contents`).
 */
export function routedFromWire(
  headers: readonly WireHeader[],
  raw: readonly Uint8Array[],
  role: TensorRole,
  rawField: string,
  limits?: Partial<TensorDecodeLimits>,
): RoutedTensor[] {
  const resolved = resolveDecodeLimits(limits);
  checkTensorCount(headers.length, role, resolved);
  if (raw.length > 0 && raw.length !== headers.length) {
    throw new InvalidArgumentError(
      `${rawField} has ${raw.length} entries for ${headers.length} ${role}s; it needs one per ${role}`,
    );
  }
  const names = new Set<string>();
  return headers.map((header, i) => {
    // The same header rules (names, datatype, shape, limits) as a full decode, without
    // touching the elements.
    const { label, datatype, shape } = checkTensorHeader(header, i, role, names, resolved);
    const parameters = parametersToRecord(header.parameters, label);
    if (raw.length > 0) {
      if (hasTypedContents(header.contents)) {
        throw new InvalidArgumentError(
          `${label}: has typed contents but the message uses ${rawField}; typed and raw contents must not be mixed`,
        );
      }
      return RoutedTensor.fromRaw(header.name, datatype, shape, raw[i]!, parameters);
    }
    const tensor = tensorFromContents(header.name, datatype, shape, header.contents ?? emptyContents(), role);
    return RoutedTensor.fromTensor(tensor, parameters);
  });
}

/** Routed tensors to wire headers plus, in raw mode, one buffer each. FP16/BF16 force raw. */
export function routedToWire(
  tensors: readonly RoutedTensor[],
  mode: ContentsMode,
): { headers: WireHeader[]; raw: Buffer[] } {
  const effective = effectiveContentsMode(tensors, mode);
  const headers: WireHeader[] = [];
  const raw: Buffer[] = [];
  for (const t of tensors) {
    const header: WireHeader = {
      name: t.name,
      datatype: t.datatype,
      shape: t.shape.map((d) => BigInt(d)),
      parameters: recordToParameters(t.parameters),
    };
    if (effective === 'raw') raw.push(bufferView(t.rawBytes()));
    else header.contents = tensorToContents(t.tensor());
    headers.push(header);
  }
  return { headers, raw };
}
