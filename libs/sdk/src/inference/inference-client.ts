/**
 * The Open Inference Protocol v2 client (`inference.GRPCInferenceService`), for the router
 * (graphs and pass-through models) or any V2 server (the model-server, KServe, Triton).
 */
import { inference } from '@sightline/contracts';
import type { SightlineError } from '@sightline/errors';
import { fieldNamedIn, InternalError } from '@sightline/errors';
import type { CallOptions } from '../core/call-options.js';
import type { Caller } from '../core/caller.js';
import { toSightlineError } from '../core/grpc-error.js';
import type { InferInputs } from './infer-input.js';
import { buildInferRequest, type InferOptions, type InferRequestOptions } from './infer-request.js';
import { decodeInferResult, type InferResult } from './infer-result.js';

const service = inference.GRPCInferenceServiceService;

/** A tensor as a model's metadata declares it; -1 marks a variable dimension. */
export interface TensorMetadata {
  /** The tensor's name. */
  readonly name: string;
  /** Its V2 datatype name (`FP32`, `BYTES`, ...). */
  readonly datatype: string;
  /** Its shape; -1 marks a variable dimension. */
  readonly shape: readonly number[];
}

/** A model's (or graph's) metadata. */
export interface ModelMetadata {
  /** The model's (or graph's) name. */
  readonly name: string;
  /** The versions the server has. */
  readonly versions: readonly string[];
  /** The runtime (`onnxruntime_onnx`, `tfjs`, ...; the router names graphs its own way). */
  readonly platform: string;
  /** The inputs it takes. */
  readonly inputs: readonly TensorMetadata[];
  /** The outputs it answers. */
  readonly outputs: readonly TensorMetadata[];
  /**
   * What the model-server knows of the answering version, by name: `source_uri` (a remote
   * repository's version) and `lineage.*` (its provenance: lineage.training_data.hash,
   * lineage.code_revision, lineage.license, ...). String parameters only; empty when none.
   */
  readonly parameters: Readonly<Record<string, string>>;
}

/** A server's metadata. */
export interface ServerMetadata {
  /** The server's name. */
  readonly name: string;
  /** The server's version. */
  readonly version: string;
  /** The protocol extensions it implements (`model_repository`, ...). */
  readonly extensions: readonly string[];
}

/** Options naming a model version. */
export interface ModelCallOptions extends CallOptions {
  /** The version; unset or empty: the server's choice. */
  readonly version?: string;
}

/** One request of a stream: the model (or graph), its inputs, and the request's options. */
export interface StreamInferRequest extends InferRequestOptions {
  /** The model or graph to run. */
  readonly model: string;
  /** Its inputs. */
  readonly inputs: InferInputs;
}

/**
 * One answer of a stream: a result, or the error the server answered that request with
 * (the stream goes on). The protocol's stream answers carry a sentence but no status
 * code, so those errors come as INTERNAL with the server's sentence and its field.
 */
export type StreamInferAnswer = StreamInferSuccess | StreamInferFailure;

/** A stream answer carrying a result. */
export interface StreamInferSuccess {
  /** Always true here. */
  readonly ok: true;
  /** The decoded answer. */
  readonly result: InferResult;
}

/** A stream answer carrying the error one request was answered with. */
export interface StreamInferFailure {
  /** Always false here. */
  readonly ok: false;
  /** The server's sentence as an error (code INTERNAL: the stream carries no status code). */
  readonly error: SightlineError;
}

/** V2 inference calls on one address. */
export class InferenceClient {
  /**
   * @param caller - the shared call path.
   * @param address - the server's gRPC target.
   */
  constructor(
    private readonly caller: Caller,
    readonly address: string,
  ) {}

  /** True when the server is live (ServerLive). Retried on UNAVAILABLE. */
  async serverLive(options?: CallOptions): Promise<boolean> {
    return (await this.caller.unary(this.address, service.serverLive, {}, options, 'idempotent')).live;
  }

  /** True when the server is ready to serve (ServerReady). Retried on UNAVAILABLE. */
  async serverReady(options?: CallOptions): Promise<boolean> {
    return (await this.caller.unary(this.address, service.serverReady, {}, options, 'idempotent')).ready;
  }

  /** The server's name, version and extensions (ServerMetadata). */
  async serverMetadata(options?: CallOptions): Promise<ServerMetadata> {
    const { name, version, extensions } = await this.caller.unary(
      this.address,
      service.serverMetadata,
      {},
      options,
      'idempotent',
    );
    return { name, version, extensions };
  }

  /** True when `model` (a model, or a graph on the router) is ready (ModelReady). */
  async modelReady(model: string, options: ModelCallOptions = {}): Promise<boolean> {
    const request = { name: model, version: options.version ?? '' };
    return (await this.caller.unary(this.address, service.modelReady, request, options, 'idempotent')).ready;
  }

  /**
   * A model's (or graph's) inputs and outputs (ModelMetadata).
   *
   * @throws NotFoundError for an unknown model.
   */
  async modelMetadata(model: string, options: ModelCallOptions = {}): Promise<ModelMetadata> {
    const request = { name: model, version: options.version ?? '' };
    const response = await this.caller.unary(
      this.address,
      service.modelMetadata,
      request,
      options,
      'idempotent',
    );
    const tensors = (list: inference.ModelMetadataResponse_TensorMetadata[]) =>
      list.map(({ name, datatype, shape }) => ({ name, datatype, shape: shape.map(Number) }));
    return {
      name: response.name,
      versions: response.versions,
      platform: response.platform,
      inputs: tensors(response.inputs),
      outputs: tensors(response.outputs),
      parameters: Object.fromEntries(
        Object.entries(response.parameters ?? {}).flatMap(([key, value]) =>
          value.stringParam === undefined ? [] : [[key, value.stringParam]],
        ),
      ),
    };
  }

  /**
   * A model's configuration (ModelConfig), as the Triton `ModelConfig` message. The router
   * answers UNIMPLEMENTED; ask the model-server.
   */
  async modelConfig(
    model: string,
    options: ModelCallOptions = {},
  ): Promise<inference.ModelConfig | undefined> {
    const request = { name: model, version: options.version ?? '' };
    return (await this.caller.unary(this.address, service.modelConfig, request, options, 'idempotent'))
      .config;
  }

  /**
   * Runs `model` (a model, or a graph on the router) on `inputs` (ModelInfer).
   *
   * @example
   * ```ts
   * const result = await sightline.inference.infer('iris', { input: [[5.1, 3.5, 1.4, 0.2]] });
   * result.output('probabilities').toNested(); // [[0.97, 0.02, 0.01]]
   * ```
   * @throws InvalidArgumentError for inputs that cannot be encoded (before any call) or that
   *   the server refuses; NotFoundError for an unknown model; DeadlineExceededError when the
   *   deadline passes; UnavailableError when the server (or a graph's dependency) is down.
   */
  async infer(model: string, inputs: InferInputs, options: InferOptions = {}): Promise<InferResult> {
    const request = buildInferRequest(model, inputs, options);
    return decodeInferResult(await this.inferRequest(request, options));
  }

  /**
   * Sends a ready `ModelInferRequest` (see `buildInferRequest`) and returns the raw
   * response, for callers that build a request once and send it many times.
   */
  inferRequest(
    request: inference.ModelInferRequest,
    options: CallOptions & { readonly idempotent?: boolean } = {},
  ): Promise<inference.ModelInferResponse> {
    const idempotency = options.idempotent === true ? 'idempotent' : 'not-idempotent';
    return this.caller.unary(this.address, service.modelInfer, request, options, idempotency);
  }

  /**
   * Sends `requests` on one ModelStreamInfer stream and yields one answer per request, in
   * the server's order, until the server ends the stream. The stream is half-closed once
   * `requests` is exhausted; stopping the iteration cancels it.
   *
   * @throws (from the iteration) InvalidArgumentError for a request that cannot be encoded,
   *   or the SightlineError the whole stream failed with.
   */
  async *stream(
    requests: Iterable<StreamInferRequest> | AsyncIterable<StreamInferRequest>,
    options: CallOptions = {},
  ): AsyncGenerator<StreamInferAnswer, void, undefined> {
    const call = this.caller.bidiStream(this.address, service.modelStreamInfer, options);
    let writeError: unknown;
    const writing = (async () => {
      try {
        for await (const request of requests) {
          const message = buildInferRequest(request.model, request.inputs, request);
          if (!call.write(message)) await new Promise((resolve) => call.once('drain', resolve));
        }
        call.end();
      } catch (error) {
        writeError = error;
        call.cancel();
      }
    })();
    try {
      for await (const message of call as AsyncIterable<inference.ModelStreamInferResponse>) {
        yield streamAnswer(message);
      }
    } catch (error) {
      await writing;
      throw writeError === undefined ? toSightlineError(error) : toSightlineError(writeError);
    } finally {
      call.cancel();
    }
    await writing;
    if (writeError !== undefined) throw toSightlineError(writeError);
  }
}

function streamAnswer(message: inference.ModelStreamInferResponse): StreamInferAnswer {
  if (message.errorMessage !== '' || message.inferResponse === undefined) {
    const sentence = message.errorMessage || 'stream answer: neither a response nor an error message';
    const field = fieldNamedIn(sentence);
    return { ok: false, error: new InternalError(sentence, field === undefined ? {} : { field }) };
  }
  try {
    return { ok: true, result: decodeInferResult(message.inferResponse) };
  } catch (error) {
    return { ok: false, error: toSightlineError(error) };
  }
}
