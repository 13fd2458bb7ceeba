/**
 * A real grpc-js server on 127.0.0.1 speaking the V2 protocol's ServerLive and ModelInfer,
 * that records the metadata of every call it receives and can hold a call unanswered, so
 * tests see what the SDK puts on the wire (token, trace context, headers, grpc-timeout)
 * and what it does when a server stalls.
 */
import {
  type Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';

/** One received call's method and metadata. */
export interface ReceivedCall {
  readonly method: string;
  readonly metadata: Record<string, string>;
  /** The call's deadline as the server sees it (from grpc-timeout); Infinity when none. */
  readonly deadline: Date | number;
  /** When the server received the call (Date.now()). */
  readonly receivedAtMs: number;
}

/**
 * A server-streaming method of this test server (no V2 method streams one way): it answers
 * `count` messages `{ n }`, then ends, or fails with FAILED_PRECONDITION after `failAfter`.
 */
export const COUNT_METHOD = {
  path: '/sightline.test.v1.Counter/Count',
  requestSerialize: (value: CountRequest) => Buffer.from(JSON.stringify(value)),
  responseDeserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as { n: number },
};

/** The request of COUNT_METHOD. */
export interface CountRequest {
  readonly count: number;
  readonly failAfter?: number;
}

/** The running server. */
export interface RecordingServer {
  readonly address: string;
  readonly calls: ReceivedCall[];
  /** Model names whose ModelInfer calls are never answered (until the client gives up). */
  readonly stalledModels: Set<string>;
  stop(): Promise<void>;
}

function record(method: string, call: { metadata: Metadata; getDeadline(): Date | number }): ReceivedCall {
  const map: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.metadata.getMap())) map[key] = String(value);
  return { method, metadata: map, deadline: call.getDeadline(), receivedAtMs: Date.now() };
}

/** Starts the server on an ephemeral port. */
export async function startRecordingServer(): Promise<RecordingServer> {
  const server = new Server();
  const calls: ReceivedCall[] = [];
  const stalledModels = new Set<string>();
  const stalled: (() => void)[] = [];
  server.addService(inference.GRPCInferenceServiceService, {
    serverLive(
      call: ServerUnaryCall<inference.ServerLiveRequest, inference.ServerLiveResponse>,
      callback: sendUnaryData<inference.ServerLiveResponse>,
    ) {
      calls.push(record('ServerLive', call));
      callback(null, { live: true });
    },
    modelInfer(
      call: ServerUnaryCall<inference.ModelInferRequest, inference.ModelInferResponse>,
      callback: sendUnaryData<inference.ModelInferResponse>,
    ) {
      calls.push(record('ModelInfer', call));
      if (stalledModels.has(call.request.modelName)) {
        // Held until the client cancels or its deadline passes (grpc-js then ends the call).
        stalled.push(() => callback(null, inference.ModelInferResponse.fromPartial({})));
        return;
      }
      callback(
        null,
        inference.ModelInferResponse.fromPartial({ modelName: call.request.modelName, id: call.request.id }),
      );
    },
  } as unknown as inference.GRPCInferenceServiceServer);
  server.register(
    COUNT_METHOD.path,
    (call: ServerWritableStream<CountRequest, { n: number }>) => {
      calls.push(record('Count', call));
      const { count, failAfter } = call.request;
      for (let n = 0; n < count; n++) {
        if (n === failAfter) {
          call.emit('error', { code: status.FAILED_PRECONDITION, details: 'count: failed as asked' });
          return;
        }
        call.write({ n });
      }
      call.end();
    },
    (value: { n: number }) => Buffer.from(JSON.stringify(value)),
    (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as CountRequest,
    'serverStream',
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    stalledModels,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const answer of stalled.splice(0)) answer();
        server.tryShutdown(() => resolve());
      }),
  };
}
