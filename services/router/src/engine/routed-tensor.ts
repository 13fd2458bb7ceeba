/**
 * A tensor travelling through the router. It keeps the form it arrived in: raw
 * little-endian bytes from a raw request or response stay bytes and are forwarded as they
 * are; they are decoded only when a node inspects values (a switch on a tensor, an
 * ensemble combiner, a detector, an event), and then once.
 */
import {
  type Datatype,
  type ParameterRecord,
  type Tensor,
  tensorFromRaw,
  tensorToRaw,
} from '@sightline/tensor';
import type { EncodedMessage } from './ports.js';

/** A named tensor in raw or decoded form (at least one is present). */
export class RoutedTensor {
  private decoded: Tensor | undefined;
  private raw: Uint8Array | undefined;

  private constructor(
    readonly name: string,
    readonly datatype: Datatype,
    readonly shape: readonly number[],
    readonly parameters: Readonly<ParameterRecord>,
    raw: Uint8Array | undefined,
    decoded: Tensor | undefined,
  ) {
    this.raw = raw;
    this.decoded = decoded;
  }

  /** A tensor from raw contents; the bytes are not checked until decoded (the upstream checks them). */
  static fromRaw(
    name: string,
    datatype: Datatype,
    shape: readonly number[],
    raw: Uint8Array,
    parameters: Readonly<ParameterRecord> = {},
  ): RoutedTensor {
    return new RoutedTensor(name, datatype, shape, parameters, raw, undefined);
  }

  /** A tensor from decoded values. */
  static fromTensor(tensor: Tensor, parameters: Readonly<ParameterRecord> = {}): RoutedTensor {
    return new RoutedTensor(tensor.name, tensor.datatype, tensor.shape, parameters, undefined, tensor);
  }

  /** Whether the values were ever decoded (tests check the pass-through path with it). */
  get isDecoded(): boolean {
    return this.decoded !== undefined;
  }

  /** The values, decoded on first use. */
  tensor(): Tensor {
    this.decoded ??= tensorFromRaw(this.name, this.datatype, this.shape, this.raw!);
    return this.decoded;
  }

  /** The raw little-endian bytes, encoded on first use. */
  rawBytes(): Uint8Array {
    this.raw ??= tensorToRaw(this.decoded!);
    return this.raw;
  }

  /** The same data under another name. */
  renamed(name: string): RoutedTensor {
    if (name === this.name) return this;
    const decoded = this.decoded ? ({ ...this.decoded, name } as Tensor) : undefined;
    return new RoutedTensor(name, this.datatype, this.shape, this.parameters, this.raw, decoded);
  }
}

/** What flows between nodes: named tensors plus the request's parameters. */
export interface Payload {
  readonly tensors: readonly RoutedTensor[];
  readonly parameters: Readonly<ParameterRecord>;
  /**
   * The upstream answer `tensors` were read from, when the router may answer with it as it
   * is (see ModelAnswer.encoded); set only on a model node's output.
   */
  readonly encoded?: EncodedMessage | undefined;
}
