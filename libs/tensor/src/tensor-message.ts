/**
 * The self-contained `Tensor` message of Sightline's own contracts (outlier, drift,
 * metrics, explainer): fields 1-5 as in `InferInputTensor`, plus its own `raw_contents`.
 * The messages of those packages are structurally identical, so this one codec reads all.
 */
import type { inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { resolveDecodeLimits, type TensorDecodeLimits } from './decode-limits.js';
import { tensorFromRaw, tensorToRaw } from './raw-codec.js';
import { type TensorRole, tensorLabel } from './tensor-label.js';
import { asBuffer, hasTypedContents, tensorToContents } from './typed-codec.js';
import type { Tensor } from './types.js';
import {
  type ContentsMode,
  checkTensorCount,
  checkTensorHeader,
  effectiveContentsMode,
  tensorFromTypedOrNothing,
} from './wire-tensors.js';

/** A `sightline.common.v1.Tensor` message (used by every Sightline contract), as generated. */
export interface TensorMessage {
  name: string;
  datatype: string;
  shape: bigint[];
  parameters: { [key: string]: inference.InferParameter };
  contents?: inference.InferTensorContents | undefined;
  rawContents: Buffer;
}

/**
 * Decodes a list of tensor messages with the wire rules of `decodeInferInputs`; each
 * message carries its elements in exactly one of `contents` and `raw_contents` (neither is
 * allowed only for a tensor with no elements).
 *
 * @throws InvalidArgumentError naming the tensor, or ResourceExhaustedError for a limit.
 */
export function decodeTensorMessages(
  messages: readonly TensorMessage[],
  role: TensorRole = 'tensor',
  limits?: Partial<TensorDecodeLimits>,
): Tensor[] {
  const resolved = resolveDecodeLimits(limits);
  checkTensorCount(messages.length, role, resolved);
  const names = new Set<string>();
  return messages.map((message, i) => {
    const checked = checkTensorHeader(message, i, role, names, resolved);
    const raw = message.rawContents;
    if (raw === undefined || raw.byteLength === 0) {
      return tensorFromTypedOrNothing(message, checked, role, 'raw_contents');
    }
    if (hasTypedContents(message.contents)) {
      throw new InvalidArgumentError(
        `${checked.label}: has both contents and raw_contents; send one of them`,
      );
    }
    return tensorFromRaw(message.name, checked.datatype, checked.shape, raw, role);
  });
}

/**
 * Encodes tensors as tensor messages. `typed` falls back to raw for the whole list when any
 * tensor is FP16 or BF16, as for requests, so a list never mixes the two forms.
 *
 * @throws InvalidArgumentError for a malformed tensor or a duplicate name.
 */
export function encodeTensorMessages(
  tensors: readonly Tensor[],
  mode: ContentsMode,
  role: TensorRole = 'tensor',
): TensorMessage[] {
  const effective = effectiveContentsMode(tensors, mode);
  const names = new Set<string>();
  return tensors.map((tensor) => {
    if (names.has(tensor.name)) {
      throw new InvalidArgumentError(`${tensorLabel(role, tensor.name)}: appears more than once`);
    }
    names.add(tensor.name);
    const message: TensorMessage = {
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape.map(BigInt),
      parameters: {},
      rawContents: Buffer.alloc(0),
    };
    if (effective === 'raw') message.rawContents = asBuffer(tensorToRaw(tensor, role));
    else message.contents = tensorToContents(tensor, role);
    return message;
  });
}
