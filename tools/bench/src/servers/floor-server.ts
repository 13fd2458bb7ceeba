import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';

/** The one output tensor the floor answers with (FP32, zeros). */
export interface FloorOutput {
  readonly name: string;
  readonly shape: readonly number[];
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
    modelInfer: (
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
