import { type ChannelOptions, credentials, Metadata } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';

/** HTTP/2 connections a pool opens by default; one connection's single socket and
 * flow-control window become the bottleneck well before 64 concurrent calls. */
export const DEFAULT_CHANNELS = 4;
/** Deadline each benchmark call carries, so a stuck server fails a call instead of the run. */
export const DEFAULT_CALL_DEADLINE_MS = 10_000;
/** Largest message either way (the convnet's batched inputs stay far below it). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const MODEL_INFER_PATH = inference.GRPCInferenceServiceService.modelInfer.path;
const identity = (bytes: Buffer): Buffer => bytes;

/** One FP32 input tensor of a request, in row-major order. */
export interface Fp32Input {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Encodes a ModelInferRequest once, with every input in `raw_input_contents` (the
 * fast path KServe's and Triton's clients use), so a benchmark loop spends nothing on
 * protobuf encoding and the floor and the model-server receive the same bytes.
 */
export function encodeInferRequest(modelName: string, inputs: readonly Fp32Input[]): Buffer {
  for (const input of inputs) {
    const elements = input.shape.reduce((a, b) => a * b, 1);
    if (elements !== input.data.length) {
      throw new RangeError(
        `input "${input.name}": shape [${input.shape.join(',')}] holds ${elements} elements, data has ${input.data.length}`,
      );
    }
  }
  const request = inference.ModelInferRequest.fromPartial({
    modelName,
    inputs: inputs.map((input) => ({
      name: input.name,
      datatype: 'FP32',
      shape: input.shape.map((d) => BigInt(d)),
    })),
    rawInputContents: inputs.map((input) =>
      Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength),
    ),
  });
  return Buffer.from(inference.ModelInferRequest.encode(request).finish());
}

/** Cumulative counters of one model, as the statistics extension reports them. */
export interface ModelCounters {
  readonly inferenceCount: number;
  readonly executionCount: number;
}

/**
 * A round-robin pool of grpc-js channels to one V2 inference server. Every channel
 * is its own HTTP/2 connection: grpc-js would otherwise share one subchannel between
 * clients with the same target and options.
 */
export class V2ClientPool {
  private readonly clients: inference.GRPCInferenceServiceClient[];
  private next = 0;

  constructor(
    /** `host:port` */
    readonly address: string,
    readonly channels = DEFAULT_CHANNELS,
    private readonly deadlineMs = DEFAULT_CALL_DEADLINE_MS,
  ) {
    if (!(Number.isInteger(channels) && channels > 0)) {
      throw new RangeError(`channels: expected a positive integer, got ${channels}`);
    }
    const options: ChannelOptions = {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    };
    this.clients = Array.from(
      { length: channels },
      () => new inference.GRPCInferenceServiceClient(address, credentials.createInsecure(), options),
    );
  }

  private pick(): inference.GRPCInferenceServiceClient {
    const client = this.clients[this.next]!;
    this.next = (this.next + 1) % this.clients.length;
    return client;
  }

  /**
   * Sends pre-encoded ModelInferRequest bytes and resolves with the response's bytes,
   * undecoded: the benchmark checks one decoded answer up front and then measures the
   * server, not the client's protobuf decoding.
   */
  inferRaw(encodedRequest: Buffer): Promise<Buffer> {
    const deadline = Date.now() + this.deadlineMs;
    return new Promise((resolve, reject) => {
      this.pick().makeUnaryRequest<Buffer, Buffer>(
        MODEL_INFER_PATH,
        identity,
        identity,
        encodedRequest,
        new Metadata(),
        { deadline },
        (error, response) => (error ? reject(error) : resolve(response!)),
      );
    });
  }

  /** Sends pre-encoded request bytes and decodes the answer. */
  async infer(encodedRequest: Buffer): Promise<inference.ModelInferResponse> {
    return inference.ModelInferResponse.decode(await this.inferRaw(encodedRequest));
  }

  /** ServerReady over gRPC; false (not an error) when the server cannot be reached yet. */
  serverReady(timeoutMs = 1_000): Promise<boolean> {
    return new Promise((resolve) => {
      this.pick().serverReady({}, new Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) =>
        resolve(!error && response?.ready === true),
      );
    });
  }

  /** ModelReady over gRPC; false when the model is not ready or the call fails. */
  modelReady(name: string, timeoutMs = 1_000): Promise<boolean> {
    return new Promise((resolve) => {
      this.pick().modelReady(
        { name, version: '' },
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => resolve(!error && response?.ready === true),
      );
    });
  }

  /**
   * A model's counters from the Triton statistics extension, summed over its versions:
   * requests answered and model executions (their ratio is the mean batch executed).
   * Undefined when the server does not implement it or the call fails.
   */
  modelStatistics(name: string, timeoutMs = 1_000): Promise<ModelCounters | undefined> {
    return new Promise((resolve) => {
      this.pick().modelStatistics(
        { name, version: '' },
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          if (error || !response) return resolve(undefined);
          let inferenceCount = 0;
          let executionCount = 0;
          for (const stats of response.modelStats) {
            inferenceCount += Number(stats.inferenceCount);
            executionCount += Number(stats.executionCount);
          }
          resolve({ inferenceCount, executionCount });
        },
      );
    });
  }

  /** Closes every channel. */
  close(): void {
    for (const client of this.clients) client.close();
  }
}
