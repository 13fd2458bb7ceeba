import type { ChannelOptions } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { type MethodDefinition, Sightline } from '@sightline/sdk';

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

/** ModelInfer with the bytes passed through both ways: the requests are encoded once, up front. */
const RAW_MODEL_INFER: MethodDefinition<Buffer, Buffer> = {
  path: MODEL_INFER_PATH,
  requestSerialize: identity,
  responseDeserialize: identity,
};

/**
 * A round-robin pool of SDK clients to one V2 inference server, each on its own channel:
 * every channel is its own HTTP/2 connection (a local subchannel pool, since grpc-js would
 * otherwise share one subchannel between clients with the same target and options). Calls
 * go through the SDK's call path (@sightline/sdk) with no retries, so a refusal is counted,
 * not hidden; the hot loop sends pre-encoded bytes and reads the answer's bytes undecoded,
 * which costs the same client CPU per call as a bare grpc-js call (measured, see
 * docs/benchmarks.md).
 */
export class V2ClientPool {
  private readonly clients: Sightline[];
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
    const channelOptions: ChannelOptions = {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    };
    this.clients = Array.from(
      { length: channels },
      () => new Sightline({ address, deadlineMs, retry: { maxAttempts: 1 }, channelOptions }),
    );
  }

  private pick(): Sightline {
    const client = this.clients[this.next]!;
    this.next = (this.next + 1) % this.clients.length;
    return client;
  }

  /**
   * Sends pre-encoded ModelInferRequest bytes and resolves with the response's bytes,
   * undecoded: the benchmark checks one decoded answer up front and then measures the
   * server, not the client's protobuf decoding. Rejects with the SDK's SightlineError.
   */
  inferRaw(encodedRequest: Buffer): Promise<Buffer> {
    return this.pick().caller.unary(this.address, RAW_MODEL_INFER, encodedRequest, {
      deadlineMs: this.deadlineMs,
    });
  }

  /** Sends pre-encoded request bytes and decodes the answer. */
  async infer(encodedRequest: Buffer): Promise<inference.ModelInferResponse> {
    return inference.ModelInferResponse.decode(await this.inferRaw(encodedRequest));
  }

  /** ServerReady over gRPC; false (not an error) when the server cannot be reached yet. */
  serverReady(timeoutMs = 1_000): Promise<boolean> {
    return this.pick()
      .inference.serverReady({ deadlineMs: timeoutMs, retry: false })
      .catch(() => false);
  }

  /** ModelReady over gRPC; false when the model is not ready or the call fails. */
  modelReady(name: string, timeoutMs = 1_000): Promise<boolean> {
    return this.pick()
      .inference.modelReady(name, { deadlineMs: timeoutMs, retry: false })
      .catch(() => false);
  }

  /**
   * A model's counters from the Triton statistics extension, summed over its versions:
   * requests answered and model executions (their ratio is the mean batch executed).
   * Undefined when the server does not implement it or the call fails.
   */
  async modelStatistics(name: string, timeoutMs = 1_000): Promise<ModelCounters | undefined> {
    const stats = await this.pick()
      .models.statistics(name, { deadlineMs: timeoutMs, retry: false })
      .catch(() => undefined);
    if (stats === undefined) return undefined;
    let inferenceCount = 0;
    let executionCount = 0;
    for (const model of stats) {
      inferenceCount += Number(model.inferenceCount);
      executionCount += Number(model.executionCount);
    }
    return { inferenceCount, executionCount };
  }

  /** Closes every channel. */
  close(): void {
    for (const client of this.clients) client.close();
  }
}
