/**
 * The wire rules of the Open Inference Protocol shared by requests (inputs) and responses
 * (outputs): a list of tensor headers plus, optionally, one raw buffer per tensor. Typed
 * and raw contents never mix in one message.
 */
import type { inference } from '@sightline/contracts';
import { InvalidArgumentError, quoteName, ResourceExhaustedError } from '@sightline/errors';
import { isDatatype, isRawOnly } from './datatype.js';
import { DECODE_LIMIT_NAMES, resolveDecodeLimits, type TensorDecodeLimits } from './decode-limits.js';
import { tensorFromRaw, tensorToRaw } from './raw-codec.js';
import { elementCount, formatShape, shapeFromWire } from './shape.js';
import { type TensorRole, tensorLabel } from './tensor-label.js';
import { asBuffer, hasTypedContents, tensorFromContents, tensorToContents } from './typed-codec.js';
import type { Datatype, Tensor } from './types.js';
import { DATATYPES } from './types.js';

/** How tensors' elements are put on the wire: raw buffers or typed contents fields. */
export type ContentsMode = 'raw' | 'typed';

/** The header fields common to request inputs and response outputs. */
export interface WireTensor {
  name: string;
  datatype: string;
  shape: bigint[];
  parameters: { [key: string]: inference.InferParameter };
  contents?: inference.InferTensorContents | undefined;
}

/**
 * The mode actually used for `tensors`: `typed` falls back to `raw` for the whole message
 * when any tensor is FP16 or BF16, since those have no typed field and the protocol forbids
 * mixing typed and raw contents in one message.
 */
export function effectiveContentsMode(
  tensors: readonly { readonly datatype: Datatype }[],
  mode: ContentsMode,
): ContentsMode {
  return mode === 'typed' && tensors.some((t) => isRawOnly(t.datatype)) ? 'raw' : mode;
}

/** Encodes tensors as headers plus (in raw mode) one raw buffer each. */
export function encodeWireTensors(
  tensors: readonly Tensor[],
  mode: ContentsMode,
  role: TensorRole,
): { headers: WireTensor[]; raw: Buffer[] } {
  const effective = effectiveContentsMode(tensors, mode);
  const names = new Set<string>();
  const headers: WireTensor[] = [];
  const raw: Buffer[] = [];
  for (const tensor of tensors) {
    if (names.has(tensor.name)) {
      throw new InvalidArgumentError(`${tensorLabel(role, tensor.name)}: appears more than once`);
    }
    names.add(tensor.name);
    const header: WireTensor = {
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape.map(BigInt),
      parameters: {},
    };
    if (effective === 'raw') raw.push(asBuffer(tensorToRaw(tensor, role)));
    else header.contents = tensorToContents(tensor, role);
    headers.push(header);
  }
  return { headers, raw };
}

/**
 * Decodes headers plus optional raw buffers into tensors, enforcing the wire rules: no
 * empty or duplicate names, known datatypes, concrete shapes, one raw buffer per tensor
 * when raw contents are used and then no typed contents, and the limits.
 *
 * @param rawField - the raw field's name in messages (`raw_input_contents`).
 */
export function decodeWireTensors(
  headers: readonly WireTensor[],
  raw: readonly Uint8Array[],
  role: TensorRole,
  rawField: string,
  limits?: Partial<TensorDecodeLimits>,
): Tensor[] {
  const resolved = resolveDecodeLimits(limits);
  checkTensorCount(headers.length, role, resolved);
  const usesRaw = raw.length > 0;
  if (raw.length > headers.length) {
    throw new InvalidArgumentError(
      `${rawField} has ${raw.length} entries but there are only ${headers.length} ${role}s; it needs one entry per ${role}`,
    );
  }
  const names = new Set<string>();
  const tensors: Tensor[] = [];
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    const checked = checkTensorHeader(header, i, role, names, resolved);
    if (!usesRaw) {
      tensors.push(tensorFromTypedOrNothing(header, checked, role, rawField));
      continue;
    }
    if (hasTypedContents(header.contents)) {
      throw new InvalidArgumentError(
        `${checked.label}: has typed contents but the message uses ${rawField}; typed and raw contents must not be mixed`,
      );
    }
    const bytes = raw[i];
    if (bytes === undefined) {
      throw new InvalidArgumentError(
        `${checked.label}: has no ${rawField} entry (${headers.length} ${role}s, ${raw.length} ${rawField} entries); it needs one entry per ${role}`,
      );
    }
    tensors.push(tensorFromRaw(header.name, checked.datatype, checked.shape, bytes, role));
  }
  return tensors;
}

/** A header that passed `checkTensorHeader`. */
export interface CheckedHeader {
  /** `input "x"`, for messages. */
  readonly label: string;
  readonly datatype: Datatype;
  readonly shape: number[];
  readonly count: number;
}

/** Rejects a list longer than `limits.maxTensors` (RESOURCE_EXHAUSTED). */
export function checkTensorCount(count: number, role: TensorRole, limits: TensorDecodeLimits): void {
  if (count > limits.maxTensors) {
    throw new ResourceExhaustedError(
      `${count} ${role}s exceed the limit of ${limits.maxTensors} per message (${DECODE_LIMIT_NAMES.maxTensors})`,
    );
  }
}

/**
 * Checks one tensor header: a non-empty name not in `names` (which it joins), a known
 * datatype, a concrete shape within the rank and element limits.
 */
export function checkTensorHeader(
  header: Pick<WireTensor, 'name' | 'datatype' | 'shape'>,
  index: number,
  role: TensorRole,
  names: Set<string>,
  limits: TensorDecodeLimits,
): CheckedHeader {
  if (header.name === '') throw new InvalidArgumentError(`${role} at index ${index}: name is empty`);
  const label = tensorLabel(role, header.name);
  if (names.has(header.name)) throw new InvalidArgumentError(`${label}: appears more than once`);
  names.add(header.name);
  const datatype = header.datatype;
  if (!isDatatype(datatype)) {
    throw new InvalidArgumentError(
      `${label}: unknown datatype ${quoteName(datatype)}; expected one of ${DATATYPES.join(', ')}`,
    );
  }
  if (header.shape.length > limits.maxRank) {
    throw new ResourceExhaustedError(
      `${label}: shape ${formatShape(header.shape)} has ${header.shape.length} dimensions, over the limit of ${limits.maxRank} (${DECODE_LIMIT_NAMES.maxRank})`,
    );
  }
  const shape = shapeFromWire(header.shape, label);
  const count = elementCount(shape);
  if (count > limits.maxElementsPerTensor) {
    throw new ResourceExhaustedError(
      `${label}: shape ${formatShape(shape)} has ${count} elements, over the limit of ${limits.maxElementsPerTensor} (${DECODE_LIMIT_NAMES.maxElementsPerTensor})`,
    );
  }
  return { label, datatype, shape, count };
}

/**
 * Decodes a tensor that has no raw contents: from its typed contents, or, when it has no
 * elements and none were sent, as an empty tensor of any datatype (FP16 and BF16 included).
 */
export function tensorFromTypedOrNothing(
  header: Pick<WireTensor, 'name' | 'contents'>,
  checked: CheckedHeader,
  role: TensorRole,
  rawField: string,
): Tensor {
  if (checked.count === 0 && !hasTypedContents(header.contents)) {
    return tensorFromRaw(header.name, checked.datatype, checked.shape, new Uint8Array(0), role);
  }
  if (header.contents === undefined) {
    throw new InvalidArgumentError(`${checked.label}: has no contents; send typed contents or ${rawField}`);
  }
  return tensorFromContents(header.name, checked.datatype, checked.shape, header.contents, role);
}
