import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { Datatype, Tensor, TensorSpec } from '@sightline/tensor';
import type { TfjsBackend, TfjsModule } from '@sightline/tfjs';
import { fileModelHandler } from '@sightline/tfjs';
import type { GraphModel, LayersModel, NamedTensorMap, Tensor as TfTensor } from '@tensorflow/tfjs';
import type { ModelConfig, ModelRuntime } from '../model/types.js';

/** V2 datatypes TF.js can hold, and its dtype for each. */
const TFJS_DTYPES: Readonly<Partial<Record<Datatype, 'float32' | 'int32' | 'bool' | 'string'>>> =
  Object.freeze({
    FP32: 'float32',
    INT32: 'int32',
    BOOL: 'bool',
    BYTES: 'string',
  });

/** What layers (SymbolicTensor) and graph (TensorInfo) models both say about a tensor. */
interface ModelTensor {
  readonly name: string;
  readonly shape?: readonly (number | null)[] | undefined;
  readonly dtype?: string | undefined;
}

type LoadedModel =
  | { format: 'layers-model'; model: LayersModel }
  | { format: 'graph-model'; model: GraphModel };

/**
 * A TensorFlow.js layers or graph model serving one model version. The config's inputs and
 * outputs (required for tfjs) name the model's tensors in order: TF.js layer names are
 * generated (`input_1`), so the config gives them their served names.
 */
export class TfjsRuntime implements ModelRuntime {
  readonly #tf: TfjsModule;
  readonly #loaded: LoadedModel;
  readonly #modelOutputNames: ReadonlyMap<string, string>;
  readonly #modelInputNames: ReadonlyMap<string, string>;
  /** Whether the first dimension is the batch (max_batch_size > 0): NaN is tracked per row. */
  readonly #batched: boolean;

  private constructor(
    tf: TfjsModule,
    loaded: LoadedModel,
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
    readonly backend: string,
    batched: boolean,
  ) {
    this.#tf = tf;
    this.#batched = batched;
    this.#loaded = loaded;
    const modelInputs: readonly ModelTensor[] = loaded.model.inputs;
    const modelOutputs: readonly ModelTensor[] = loaded.model.outputs;
    this.#modelInputNames = new Map(inputs.map((spec, index) => [spec.name, modelInputs[index]!.name]));
    this.#modelOutputNames = new Map(outputs.map((spec, index) => [spec.name, modelOutputs[index]!.name]));
  }

  /**
   * Loads `<versionDir>/model.json` (layers or graph format) on the already selected backend.
   *
   * @throws InvalidArgumentError for an unreadable model or a config that disagrees with it.
   */
  static async load(config: ModelConfig, versionDir: string, backend: TfjsBackend): Promise<TfjsRuntime> {
    const { tf } = backend;
    const { inputs, outputs } = config;
    if (inputs === undefined || outputs === undefined) {
      throw new InvalidArgumentError(
        `model "${config.name}": platform tfjs needs inputs and outputs in its config`,
      );
    }
    for (const spec of [...inputs, ...outputs]) {
      if (TFJS_DTYPES[spec.datatype] === undefined) {
        throw new InvalidArgumentError(
          `model "${config.name}": tensor "${spec.name}": datatype ${spec.datatype} is not supported by TF.js (use FP32, INT32, BOOL or BYTES)`,
        );
      }
    }
    const handler = fileModelHandler(tf, versionDir, config.name);
    const artifacts = await handler.load();
    let loaded: LoadedModel;
    try {
      loaded =
        artifacts.format === 'graph-model'
          ? { format: 'graph-model', model: await tf.loadGraphModel(tf.io.fromMemory(artifacts)) }
          : { format: 'layers-model', model: await tf.loadLayersModel(tf.io.fromMemory(artifacts)) };
    } catch (error) {
      throw new InvalidArgumentError(
        `model "${config.name}": model.json cannot be loaded by TF.js: ${(error as Error).message}`,
        { cause: error },
      );
    }
    try {
      checkSignature(config.name, 'inputs', inputs, loaded.model.inputs);
      checkSignature(config.name, 'outputs', outputs, loaded.model.outputs);
    } catch (error) {
      loaded.model.dispose();
      throw error;
    }
    return new TfjsRuntime(tf, loaded, inputs, outputs, backend.label, config.maxBatchSize > 0);
  }

  async run(
    inputs: ReadonlyMap<string, Tensor>,
    outputNames: readonly string[],
  ): Promise<Map<string, Tensor>> {
    const tf = this.#tf;
    const computed = tf.tidy(() => {
      const feeds = this.inputs.map((spec) => {
        const tensor = inputs.get(spec.name);
        if (tensor === undefined) throw new InvalidArgumentError(`input "${spec.name}": missing`);
        return toTfTensor(tf, tensor);
      });
      if (this.#loaded.format === 'graph-model') {
        const named: NamedTensorMap = {};
        feeds.forEach((feed, index) => {
          named[this.#modelInputNames.get(this.inputs[index]!.name)!] = feed;
        });
        const wanted = outputNames.map((name) => this.#modelOutputName(name));
        return asArray(this.#loaded.model.execute(named, wanted));
      }
      const predicted = asArray(this.#loaded.model.predict(feeds.length === 1 ? feeds[0]! : feeds));
      return outputNames.map((name) => predicted[this.outputs.findIndex((spec) => spec.name === name)]!);
    });
    try {
      const outputs = new Map<string, Tensor>();
      for (const [index, name] of outputNames.entries()) {
        const spec = this.outputs.find((candidate) => candidate.name === name)!;
        outputs.set(name, await fromTfTensor(spec, computed[index]!));
      }
      propagateNaN(inputs, outputs, this.#batched);
      return outputs;
    } finally {
      tf.dispose(computed);
    }
  }

  async dispose(): Promise<void> {
    this.#loaded.model.dispose();
  }

  #modelOutputName(name: string): string {
    const modelName = this.#modelOutputNames.get(name);
    if (modelName === undefined)
      throw new InvalidArgumentError(`output ${quoteName(name)}: the model has no such output`);
    return modelName;
  }
}

function asArray(result: TfTensor | TfTensor[] | NamedTensorMap): TfTensor[] {
  if (Array.isArray(result)) return result;
  if (result instanceof Object && 'dataSync' in result) return [result as TfTensor];
  return Object.values(result as NamedTensorMap);
}

/**
 * Checks the declared specs against the model's tensors, matched in order: the count, the
 * dtype and, where the model knows it, the rank and each fixed dimension.
 */
function checkSignature(
  modelName: string,
  kind: 'inputs' | 'outputs',
  declared: readonly TensorSpec[],
  actual: readonly ModelTensor[],
): void {
  const problems: string[] = [];
  if (declared.length !== actual.length) {
    problems.push(`the config declares ${declared.length} ${kind}, the model has ${actual.length}`);
  }
  declared.forEach((spec, index) => {
    const info = actual[index];
    if (info === undefined) return;
    const dtype = TFJS_DTYPES[spec.datatype];
    if (info.dtype !== undefined && info.dtype !== dtype) {
      problems.push(
        `${kind} "${spec.name}" (model tensor "${info.name}"): config says ${spec.datatype}, the model has ${info.dtype}`,
      );
    }
    const shape = info.shape;
    if (shape === undefined) return;
    const compatible =
      shape.length === spec.shape.length &&
      shape.every((dim, i) => dim === null || dim === -1 || spec.shape[i] === -1 || dim === spec.shape[i]);
    if (!compatible) {
      const modelShape = shape.map((dim) => (dim === null ? -1 : dim));
      problems.push(
        `${kind} "${spec.name}" (model tensor "${info.name}"): config shape [${spec.shape.join(', ')}] does not fit the model's [${modelShape.join(', ')}]`,
      );
    }
  });
  if (problems.length > 0) {
    throw new InvalidArgumentError(
      `model "${modelName}": config disagrees with the model: ${problems.join('; ')}`,
    );
  }
}

function toTfTensor(tf: TfjsModule, tensor: Tensor): TfTensor {
  const dtype = TFJS_DTYPES[tensor.datatype];
  if (dtype === undefined) {
    throw new InvalidArgumentError(
      `input ${quoteName(tensor.name)}: datatype ${tensor.datatype} is not supported by TF.js`,
    );
  }
  return tf.tensor(
    tensor.data as Float32Array | Int32Array | Uint8Array | Uint8Array[],
    [...tensor.shape],
    dtype,
  );
}

/**
 * NaN policy (README "NaN and infinities"): NaN and infinities pass through, as ONNX
 * Runtime and numpy compute them. TF.js's wasm backend (XNNPACK) computes relu and max as
 * `x > 0 ? x : 0`, which turns NaN into 0, so a NaN input would come out as finite
 * probabilities there while the same model in ONNX answers NaN. To make every runtime
 * answer alike, a row (the whole tensor for a model without batching) with a NaN in any
 * floating-point input gets NaN in every floating-point output: what IEEE arithmetic gives
 * wherever each output depends on each input of its row, as in dense models. Infinities
 * need no help: every backend computes with them as IEEE says.
 */
export function propagateNaN(
  inputs: ReadonlyMap<string, Tensor>,
  outputs: ReadonlyMap<string, Tensor>,
  batched: boolean,
): void {
  let rows = 1;
  let nanRows: Set<number> | undefined;
  for (const tensor of inputs.values()) {
    if (tensor.datatype !== 'FP32' && tensor.datatype !== 'FP64') continue;
    const data = tensor.data;
    rows = batched ? (tensor.shape[0] ?? 1) : 1;
    const perRow = rows === 0 ? 0 : data.length / rows;
    for (let i = 0; i < data.length; i++) {
      if (Number.isNaN(data[i])) {
        nanRows ??= new Set();
        nanRows.add(Math.floor(i / perRow));
        i = (Math.floor(i / perRow) + 1) * perRow - 1; // the row is decided: skip to the next
      }
    }
  }
  if (nanRows === undefined) return;
  for (const tensor of outputs.values()) {
    if (tensor.datatype !== 'FP32' && tensor.datatype !== 'FP64') continue;
    const perRow = rows === 0 ? 0 : tensor.data.length / rows;
    for (const row of nanRows) tensor.data.fill(Number.NaN, row * perRow, (row + 1) * perRow);
  }
}

async function fromTfTensor(spec: TensorSpec, tensor: TfTensor): Promise<Tensor> {
  const shape = [...tensor.shape];
  const data = await tensor.data();
  switch (spec.datatype) {
    case 'FP32':
      return { name: spec.name, datatype: 'FP32', shape, data: asTyped(data, Float32Array) };
    case 'INT32':
      return { name: spec.name, datatype: 'INT32', shape, data: asTyped(data, Int32Array) };
    case 'BOOL':
      return { name: spec.name, datatype: 'BOOL', shape, data: asTyped(data, Uint8Array) };
    case 'BYTES':
      return { name: spec.name, datatype: 'BYTES', shape, data: data as unknown as Uint8Array[] };
    default:
      throw new InvalidArgumentError(
        `output "${spec.name}": datatype ${spec.datatype} is not supported by TF.js`,
      );
  }
}

/** Takes TF.js's array as is when it is already the right kind, else converts (a model's dtype may differ). */
function asTyped<T extends Float32Array | Int32Array | Uint8Array>(
  data: unknown,
  kind: { new (values: ArrayLike<number>): T },
): T {
  return data instanceof kind ? data : new kind(data as ArrayLike<number>);
}
