/**
 * A decoded output tensor: its elements in the datatype's typed array, its shape, and
 * `toNested()` for plain nested arrays.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import {
  bf16ToNumber,
  type Datatype,
  fp16ToNumber,
  type ParameterRecord,
  type Tensor,
  type TensorData,
} from '@sightline/tensor';
import type { Nested } from './infer-input.js';

/** An element as `toNested()` writes it. */
export type NestedElement = number | bigint | boolean | string | Uint8Array;

/** How `toNested()` writes BYTES elements. */
export interface ToNestedOptions {
  /** `string` (UTF-8 decoded, the default) or `bytes` (the Uint8Arrays as they came). */
  readonly bytesAs?: 'string' | 'bytes';
}

const utf8 = new TextDecoder();

/** One output of an answer. */
export class InferOutput {
  /**
   * @param tensor - the decoded tensor.
   * @param parameters - the output's own parameters (e.g. `binary_data`).
   */
  constructor(
    private readonly tensor: Tensor,
    readonly parameters: ParameterRecord = {},
  ) {}

  /** The output's name. */
  get name(): string {
    return this.tensor.name;
  }

  /** The output's datatype. */
  get datatype(): Datatype {
    return this.tensor.datatype;
  }

  /** The output's shape. */
  get shape(): readonly number[] {
    return this.tensor.shape;
  }

  /**
   * The elements in row-major order, in the datatype's storage: Float32Array for FP32,
   * BigInt64Array for INT64, Uint8Array (0/1) for BOOL, Uint16Array bit patterns for FP16
   * and BF16, one Uint8Array per element for BYTES. Raw outputs may be views on the
   * response's buffer: copy before writing to them.
   */
  get data(): TensorData {
    return this.tensor.data;
  }

  /** The output as a libs/tensor `Tensor`. */
  toTensor(): Tensor {
    return this.tensor;
  }

  /**
   * The elements as nested arrays shaped like the tensor (a scalar for shape `[]`):
   * numbers for floats and integers up to 32 bits (FP16 and BF16 converted), bigints for
   * INT64 and UINT64, booleans for BOOL, strings (or bytes) for BYTES.
   */
  toNested(options: ToNestedOptions = {}): Nested<NestedElement> {
    const elements = this.elements(options);
    const shape = this.tensor.shape;
    if (shape.length === 0) return elements[0]!;
    const build = (depth: number, offset: number): Nested<NestedElement> => {
      const size = shape[depth]!;
      if (depth === shape.length - 1) return elements.slice(offset, offset + size);
      const stride = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: size }, (_, i) => build(depth + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /**
   * BYTES elements as UTF-8 strings, flat.
   *
   * @throws InvalidArgumentError when the output is not BYTES.
   */
  strings(): string[] {
    if (this.tensor.datatype !== 'BYTES') {
      throw new InvalidArgumentError(`output ${quoteName(this.name)}: is ${this.datatype}, not BYTES`);
    }
    return this.tensor.data.map((element) => utf8.decode(element));
  }

  private elements(options: ToNestedOptions): NestedElement[] {
    const tensor = this.tensor;
    switch (tensor.datatype) {
      case 'BYTES':
        return options.bytesAs === 'bytes' ? [...tensor.data] : this.strings();
      case 'BOOL':
        return Array.from(tensor.data, (value) => value !== 0);
      case 'FP16':
        return Array.from(tensor.data, fp16ToNumber);
      case 'BF16':
        return Array.from(tensor.data, bf16ToNumber);
      default:
        return Array.from(tensor.data as ArrayLike<number | bigint>);
    }
  }
}
