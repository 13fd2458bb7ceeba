import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import ort from 'onnxruntime-node';

/** The one output tensor the floor answers with (FP32, zeros). */
export interface FloorOutput {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * A model the floor runs per request instead of answering a fixed tensor: the same ONNX
 * file in onnxruntime-node with the session options the model-server gives it, and none of
 * Sightline (no validation, batching, metrics or statistics). Against the model-server this
 * separates the model's own execution from Sightline's cost.
 */
export interface FloorModel {
  readonly file: string;
  /** ONNX Runtime intra-op threads (the example iris sets 1). */
  readonly intraOpThreads: number;
}

/** A running floor server. */
export interface FloorServer {
  readonly port: number;
  /** Stops accepting calls and waits for those in flight. */
  close(): Promise<void>;
}

/**
 * Starts the transport floor: a grpc-js server with the generated
 * GRPCInferenceService definition whose ModelInfer decodes the request (grpc-js does,
 * through the definition) and answers one fixed response, encoded per call. Nothing a
 * model server must do is left out of the wire path, and nothing else is added, so the
 * model-server's figures over these are Sightline's own cost. Every other RPC answers
 * UNIMPLEMENTED except the readiness probes.
 */
export async function startFloorServer(
  output: FloorOutput,
  host = '127.0.0.1',
  port = 0,
  model?: FloorModel,
): Promise<FloorServer> {
  const elements = output.shape.reduce((a, b) => a * b, 1);
  const response = inference.ModelInferResponse.fromPartial({
    modelName: 'floor',
    modelVersion: '1',
    outputs: [{ name: output.name, datatype: 'FP32', shape: output.shape.map((d) => BigInt(d)) }],
    rawOutputContents: [Buffer.alloc(elements * Float32Array.BYTES_PER_ELEMENT)],
  });
  const unimplemented = (_call: unknown, callback: sendUnaryData<never>) =>
    callback({ code: status.UNIMPLEMENTED, details: 'the floor server answers ModelInfer only' });
  const implementation: UntypedServiceImplementation = {
    serverLive: (_call: unknown, callback: sendUnaryData<inference.ServerLiveResponse>) =>
      callback(null, { live: true }),
    serverReady: (_call: unknown, callback: sendUnaryData<inference.ServerReadyResponse>) =>
      callback(null, { ready: true }),
    modelReady: (_call: unknown, callback: sendUnaryData<inference.ModelReadyResponse>) =>
      callback(null, { ready: true }),
    modelInfer: model
      ? await modelAnswer(model, output)
      : (
          _call: ServerUnaryCall<inference.ModelInferRequest, inference.ModelInferResponse>,
          callback: sendUnaryData<inference.ModelInferResponse>,
        ) => callback(null, response),
  };
  for (const name of Object.keys(inference.GRPCInferenceServiceService)) {
    implementation[name] ??= unimplemented;
  }
  const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(inference.GRPCInferenceServiceService, implementation);
  const boundPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}

/**
 * A ModelInfer handler that runs `model` on the request's first input (FP32, raw contents,
 * as the benchmark sends) and answers its output `output.name` as raw contents.
 */
async function modelAnswer(
  model: FloorModel,
  output: FloorOutput,
): Promise<
  (
    call: ServerUnaryCall<inference.ModelInferRequest, inference.ModelInferResponse>,
    callback: sendUnaryData<inference.ModelInferResponse>,
  ) => void
> {
  const session = await ort.InferenceSession.create(model.file, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: model.intraOpThreads,
  });
  const inputName = session.inputNames[0]!;
  return (call, callback) => {
    const header = call.request.inputs[0];
    const raw = call.request.rawInputContents[0];
    if (!header || !raw) {
      callback({ code: status.INVALID_ARGUMENT, details: 'the model floor takes one raw FP32 input' });
      return;
    }
    // A copy only when the bytes are not 4-byte aligned (a Float32Array view needs it).
    const data =
      raw.byteOffset % 4 === 0
        ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4)
        : new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const feeds = { [inputName]: new ort.Tensor('float32', data, header.shape.map(Number)) };
    session.run(feeds, [output.name]).then(
      (results) => {
        const tensor = results[output.name]!;
        const values = tensor.data as Float32Array;
        callback(null, {
          modelName: call.request.modelName,
          modelVersion: '1',
          id: call.request.id,
          parameters: {},
          outputs: [
            {
              name: output.name,
              datatype: 'FP32',
              shape: tensor.dims.map(BigInt),
              parameters: {},
              contents: undefined,
            },
          ],
          rawOutputContents: [Buffer.from(values.buffer, values.byteOffset, values.byteLength)],
        });
      },
      (error: unknown) => callback({ code: status.INTERNAL, details: String(error) }),
    );
  };
}
