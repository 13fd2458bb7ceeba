import { FailedPreconditionError, InvalidArgumentError } from '@sightline/errors';
import {
  loadLayersModelFiles,
  TFJS_MODEL_FILE_LIMITS,
  type TfjsBackend,
  type TfjsModelFileLimits,
  type TfjsModule,
} from '@sightline/tfjs';
import type { LayersModel, SymbolicTensor, Tensor } from '@tensorflow/tfjs';
import type { GradientModel } from '../gradient-model.js';

/** Which of the model's outputs is explained. */
export interface TfjsGradientModelOptions {
  /** The output's position among the model's outputs (the config's outputs order); default 0, the first. */
  readonly outputIndex?: number;
  /** What the model is called in messages. */
  readonly modelName: string;
}

/**
 * A TF.js layers model as a {@link GradientModel}: feature rows are split into the model's
 * inputs (each float32, every dimension but the batch fixed), gradients come from
 * `tf.grads` of the explained column summed over the batch (rows are independent in
 * inference mode, so each row's gradient is its own), and every tensor made is disposed
 * before the call returns.
 */
export class TfjsGradientModel implements GradientModel {
  readonly featureCount: number;
  readonly outputCount: number;
  readonly backend: string;
  readonly #tf: TfjsModule;
  readonly #model: LayersModel;
  readonly #inputShapes: readonly (readonly number[])[];
  readonly #inputSizes: readonly number[];
  readonly #outputIndex: number;

  private constructor(backend: TfjsBackend, model: LayersModel, options: TfjsGradientModelOptions) {
    this.#tf = backend.tf;
    this.backend = backend.label;
    this.#model = model;
    const what = `model "${options.modelName}"`;
    this.#inputShapes = model.inputs.map((input) => perRowShape(input, `${what} input "${input.name}"`));
    for (const input of model.inputs) {
      if (input.dtype !== 'float32') {
        throw new FailedPreconditionError(
          `${what} input "${input.name}" is ${input.dtype}, and only float32 inputs have gradients; use kernel_shap or occlusion`,
        );
      }
    }
    this.#inputSizes = this.#inputShapes.map(product);
    this.featureCount = this.#inputSizes.reduce((a, b) => a + b, 0);
    const outputIndex = options.outputIndex ?? 0;
    const output = model.outputs[outputIndex];
    if (output === undefined) {
      throw new InvalidArgumentError(
        `target.output_name: ${what} has ${model.outputs.length} output(s), asked for output ${outputIndex}`,
      );
    }
    this.#outputIndex = outputIndex;
    this.outputCount = product(perRowShape(output, `${what} output "${output.name}"`));
  }

  /** Wraps a loaded model; the caller keeps ownership (dispose it with {@link dispose}). */
  static fromLayersModel(
    backend: TfjsBackend,
    model: LayersModel,
    options: TfjsGradientModelOptions,
  ): TfjsGradientModel {
    return new TfjsGradientModel(backend, model, options);
  }

  /**
   * Loads `<versionDir>/model.json` and its shards (the files the model-server serves, read
   * by the same handler, @sightline/tfjs) on the already selected backend.
   */
  static async load(
    backend: TfjsBackend,
    versionDir: string,
    options: TfjsGradientModelOptions & { readonly limits?: TfjsModelFileLimits },
  ): Promise<TfjsGradientModel> {
    const model = await loadLayersModelFiles(
      backend.tf,
      versionDir,
      options.modelName,
      options.limits ?? TFJS_MODEL_FILE_LIMITS,
    );
    try {
      return new TfjsGradientModel(backend, model, options);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  async predict(rows: Float64Array): Promise<Float64Array> {
    const tf = this.#tf;
    const count = this.#rowCount(rows);
    const inputs = this.#inputs(rows, count);
    let output: Tensor | undefined;
    try {
      output = tf.tidy(() => this.#forward(inputs, count));
      return Float64Array.from(await output.data());
    } finally {
      tf.dispose(inputs);
      output?.dispose();
    }
  }

  async gradients(rows: Float64Array, outputIndex: number): Promise<Float64Array> {
    const tf = this.#tf;
    if (!Number.isInteger(outputIndex) || outputIndex < 0 || outputIndex >= this.outputCount) {
      throw new RangeError(`output column ${outputIndex} is not in 0..${this.outputCount - 1}`);
    }
    const count = this.#rowCount(rows);
    const inputs = this.#inputs(rows, count);
    let gradients: Tensor[] = [];
    try {
      gradients = tf.tidy(() =>
        tf.grads((...xs: Tensor[]) => this.#forward(xs, count).slice([0, outputIndex], [count, 1]).sum())(
          inputs,
        ),
      );
      const parts = await Promise.all(gradients.map((gradient) => gradient.data()));
      const result = new Float64Array(count * this.featureCount);
      for (let r = 0; r < count; r++) {
        let offset = r * this.featureCount;
        parts.forEach((part, input) => {
          const size = this.#inputSizes[input]!;
          for (let i = 0; i < size; i++) result[offset + i] = part[r * size + i]!;
          offset += size;
        });
      }
      return result;
    } finally {
      tf.dispose(inputs);
      tf.dispose(gradients);
    }
  }

  /** Frees the model's weights. */
  dispose(): void {
    this.#model.dispose();
  }

  /** The explained output as [rows, outputCount]. */
  #forward(inputs: readonly Tensor[], count: number): Tensor {
    // Applied to concrete tensors, a layers model computes (and records for tf.grads); it never answers symbolic tensors here.
    const applied = this.#model.apply(inputs.length === 1 ? inputs[0]! : [...inputs], { training: false }) as
      | Tensor
      | Tensor[];
    const output = Array.isArray(applied) ? applied[this.#outputIndex]! : applied;
    return output.reshape([count, this.outputCount]);
  }

  /** The rows split into one float32 tensor per model input. */
  #inputs(rows: Float64Array, count: number): Tensor[] {
    const tf = this.#tf;
    const perInput = this.#inputSizes.map((size) => new Float32Array(count * size));
    for (let r = 0; r < count; r++) {
      let offset = r * this.featureCount;
      perInput.forEach((values, input) => {
        const size = this.#inputSizes[input]!;
        values.set(rows.subarray(offset, offset + size), r * size);
        offset += size;
      });
    }
    return perInput.map((values, input) =>
      tf.tensor(values, [count, ...this.#inputShapes[input]!], 'float32'),
    );
  }

  #rowCount(rows: Float64Array): number {
    const count = rows.length / this.featureCount;
    if (!Number.isInteger(count) || count === 0) {
      throw new RangeError(`expected whole rows of ${this.featureCount} values, got ${rows.length} values`);
    }
    return count;
  }
}

/** A tensor's shape without the batch dimension; every other dimension must be fixed. */
function perRowShape(tensor: SymbolicTensor, what: string): number[] {
  const [, ...rest] = tensor.shape;
  if (rest.some((dim) => dim === null || dim < 0)) {
    throw new FailedPreconditionError(
      `${what} has a shape [${tensor.shape.map((dim) => dim ?? -1).join(', ')}] with free dimensions besides the batch; gradients need fixed ones`,
    );
  }
  return rest as number[];
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
