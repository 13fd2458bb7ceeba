import { readFile } from 'node:fs/promises';
import { FailedPreconditionError, InvalidArgumentError, quoteName } from '@sightline/errors';
import type { Datatype, Tensor, TensorSpec } from '@sightline/tensor';
import { resolveInside } from '@sightline/tfjs';
import * as ort from 'onnxruntime-node';
import type { Logger } from '../model/logger.js';
import type { DeviceKind, ModelConfig, ModelRuntime } from '../model/types.js';
import { MODEL_FILE_NAMES } from '../repository/model-repository.js';
import { cudaProviderHint } from './cuda-provider-files.js';
import { ortTypeOf, v2DatatypeOf } from './onnx-datatypes.js';
import { checkDeclaredSignature } from './signature-check.js';

/** What loading an ONNX model needs besides the config. */
export interface OnnxLoadOptions {
  readonly device: DeviceKind;
  readonly logger: Logger;
  /** Whether the node looks like it has a GPU (see detectGpu); decides `auto`. */
  readonly gpuDetected: boolean;
}

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/**
 * One onnxruntime-node InferenceSession serving one model version.
 *
 * Inputs are handed to ONNX Runtime as views on the domain tensors' typed arrays (no copy);
 * outputs come back as the typed arrays ONNX Runtime allocated (no copy either). Only BYTES
 * is converted, because onnxruntime-node takes and returns strings as JS strings.
 */
export class OnnxRuntime implements ModelRuntime {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
    readonly backend: string,
  ) {}

  /**
   * Loads `<versionDir>/model.onnx` into a session on the device the config asks for.
   *
   * @throws InvalidArgumentError for a corrupt file or a config that disagrees with the file;
   *   FailedPreconditionError when `device: gpu` is asked and CUDA cannot be used.
   */
  static async load(config: ModelConfig, versionDir: string, options: OnnxLoadOptions): Promise<OnnxRuntime> {
    const what = `model "${config.name}"`;
    const file = await resolveInside(versionDir, [MODEL_FILE_NAMES.onnx], `${what} ${MODEL_FILE_NAMES.onnx}`);
    const bytes = await readFile(file);
    const { session, backend } = await createSession(bytes, config, options);
    try {
      const modelInputs = session.inputMetadata.map((meta) => specOf(meta, `${what} input`));
      const modelOutputs = session.outputMetadata.map((meta) => specOf(meta, `${what} output`));
      if (config.inputs !== undefined)
        checkDeclaredSignature(config.name, 'inputs', config.inputs, modelInputs);
      if (config.outputs !== undefined) {
        checkDeclaredSignature(config.name, 'outputs', config.outputs, modelOutputs);
      }
      // Declared specs win over the file's: the operator may pin a symbolic dimension.
      return new OnnxRuntime(session, config.inputs ?? modelInputs, config.outputs ?? modelOutputs, backend);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  async run(
    inputs: ReadonlyMap<string, Tensor>,
    outputNames: readonly string[],
  ): Promise<Map<string, Tensor>> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of inputs) feeds[name] = toOrtTensor(tensor);
    const results = await this.session.run(feeds, outputNames);
    const outputs = new Map<string, Tensor>();
    for (const name of outputNames) {
      const value = results[name];
      if (value === undefined)
        throw new InvalidArgumentError(`output ${quoteName(name)}: the model did not produce it`);
      outputs.set(name, fromOrtTensor(name, value));
    }
    return outputs;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

async function createSession(
  bytes: Uint8Array,
  config: ModelConfig,
  { device, logger, gpuDetected }: OnnxLoadOptions,
): Promise<{ session: ort.InferenceSession; backend: string }> {
  const create = (executionProviders: string[]) =>
    ort.InferenceSession.create(bytes, {
      executionProviders,
      graphOptimizationLevel: 'all',
      ...(config.intraOpThreads > 0 ? { intraOpNumThreads: config.intraOpThreads } : {}),
    });
  const fields = { model: config.name, device };
  if (device === 'gpu' || (device === 'auto' && gpuDetected)) {
    try {
      return { session: await create(['cuda']), backend: 'onnxruntime-cuda' };
    } catch (error) {
      const cause = errorMessage(error);
      if (isCorruptModel(cause)) throw corruptModel(config, error);
      const reason = `${cause} (${cudaProviderHint()})`;
      if (device === 'gpu') {
        throw new FailedPreconditionError(
          `model "${config.name}": device gpu asked, but the CUDA execution provider cannot be used: ${reason}`,
          { cause: error },
        );
      }
      // auto: a GPU is visible but CUDA is not usable (libraries missing); the CPU still serves.
      logger.warn({ ...fields, reason }, 'CUDA execution provider unavailable, falling back to CPU');
    }
  }
  try {
    return { session: await create(['cpu']), backend: 'onnxruntime-cpu' };
  } catch (error) {
    throw corruptModel(config, error);
  }
}

/** ONNX Runtime's words for a file it cannot parse (checked to pick the error's code only). */
function isCorruptModel(reason: string): boolean {
  return /protobuf parsing failed|invalid model|load model/i.test(reason);
}

function corruptModel(config: ModelConfig, error: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `model "${config.name}": ${MODEL_FILE_NAMES.onnx} cannot be loaded by ONNX Runtime: ${errorMessage(error)}`,
    { cause: error },
  );
}

function specOf(meta: ort.InferenceSession.ValueMetadata, what: string): TensorSpec {
  if (!meta.isTensor) {
    throw new InvalidArgumentError(
      `${what} "${meta.name}": is not a tensor (sequences and maps are not supported)`,
    );
  }
  return {
    name: meta.name,
    datatype: v2DatatypeOf(meta.type, `${what} "${meta.name}"`),
    // Symbolic (named) dimensions are variable: -1 in V2 signatures.
    shape: meta.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1)),
  };
}

/**
 * Wraps the domain tensor's storage without copying (BYTES excepted: ORT wants JS strings).
 * Exported for the zero-copy test; not part of the package API.
 */
export function toOrtTensor(tensor: Tensor): ort.Tensor {
  const what = `input ${quoteName(tensor.name)}`;
  if (tensor.datatype === 'BYTES') {
    return new ort.Tensor(
      'string',
      tensor.data.map((element) => utf8Decoder.decode(element)),
      tensor.shape,
    );
  }
  return new ort.Tensor(ortTypeOf(tensor.datatype, what), tensor.data, tensor.shape);
}

function fromOrtTensor(name: string, value: ort.OnnxValue): Tensor {
  const datatype: Datatype = v2DatatypeOf(value.type, `output ${quoteName(name)}`);
  const shape = [...value.dims];
  if (datatype === 'BYTES') {
    const strings = value.data as readonly string[];
    return { name, datatype, shape, data: strings.map((element) => utf8Encoder.encode(element)) };
  }
  // v2DatatypeOf and ONNX Runtime agree on the typed array of each type (see onnx-datatypes.ts).
  return { name, datatype, shape, data: value.data } as Tensor;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
