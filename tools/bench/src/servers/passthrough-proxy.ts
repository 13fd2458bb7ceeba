import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { MAX_MESSAGE_BYTES } from '../v2-client.js';

/** The one method the proxy forwards, by its HTTP/2 path. */
export const MODEL_INFER_PATH = inference.GRPCInferenceServiceService.modelInfer.path;

/** A running pass-through proxy. */
export interface PassthroughProxy {
  readonly port: number;
  /** Stops accepting calls, waits for those in flight, closes the upstream channel. */
  close(): Promise<void>;
}

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * ModelInfer only, with identity (de)serializers on both sides: the proxy never decodes
 * a request or a response, so its cost is grpc-js's own (HTTP/2 framing, one upstream
 * call) and nothing else.
 */
const RAW_MODEL_INFER: ServiceDefinition = {
  ModelInfer: {
    path: MODEL_INFER_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'modelInfer',
  },
};

/**
 * Starts the minimal pass-through proxy, the floor for any router in this stack: a grpc-js
 * server whose ModelInfer forwards the request bytes unchanged to `upstream` over one
 * grpc-js channel (as the router keeps one per upstream) with the caller's deadline, and
 * answers with the upstream's bytes or its status. Nothing else is done: no decoding, no
 * metadata, no tracing, no events. Other methods are UNIMPLEMENTED (grpc-js's default for
 * an unknown path).
 */
export async function startPassthroughProxy(
  upstream: string,
  host = '127.0.0.1',
  port = 0,
): Promise<PassthroughProxy> {
  const client = new Client(upstream, credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  server.addService(RAW_MODEL_INFER, {
    ModelInfer: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      const deadline = call.getDeadline();
      client.makeUnaryRequest<Buffer, Buffer>(
        MODEL_INFER_PATH,
        identity,
        identity,
        call.request,
        new Metadata(),
        deadline === Number.POSITIVE_INFINITY ? {} : { deadline },
        (error: ServiceError | null, response?: Buffer) =>
          error
            ? callback({ code: error.code ?? status.UNKNOWN, details: error.details })
            : callback(null, response),
      );
    },
  });
  const boundPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => {
          client.close();
          resolve();
        });
      }),
  };
}
