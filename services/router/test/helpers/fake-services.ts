/**
 * Small gRPC services written in the test, for upstreams that are not the model-server:
 * an outlier and a drift service implementing their v1 Predict contracts, and a V2
 * endpoint whose ModelInfer the test supplies. Each binds 127.0.0.1 on an ephemeral port.
 */
import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { driftV1, inference, outlierV1 } from '@sightline/contracts';

/** A running fake service. */
export interface FakeService {
  readonly address: string;
  /** Stops at once: calls in flight fail. */
  stop(): void;
  /** Stops gracefully: GOAWAY, calls in flight finish, new ones are refused. */
  drain(): Promise<void>;
}

async function serve(
  definition: ServiceDefinition,
  implementation: object,
  bindAddress = '127.0.0.1:0',
  credentials = ServerCredentials.createInsecure(),
): Promise<FakeService> {
  const server = new Server();
  server.addService(definition, implementation as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(bindAddress, credentials, (e, p) => (e ? reject(e) : resolve(p))),
  );
  const host = bindAddress.slice(0, bindAddress.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    stop: () => server.forceShutdown(),
    drain: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

type Handler<Req, Res> = (request: Req) => Res | Promise<Res>;

function unaryMethod<Req, Res>(handler: Handler<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    Promise.resolve(handler(call.request)).then(
      (response) => callback(null, response),
      (error: Error) => callback(error),
    );
  };
}

/** An outlier service whose Predict answers with `handler`. */
export function fakeOutlierService(
  handler: Handler<outlierV1.PredictRequest, outlierV1.PredictResponse>,
): Promise<FakeService> {
  return serve(outlierV1.OutlierServiceService, { predict: unaryMethod(handler) });
}

/** A drift service whose Predict answers with `handler`. */
export function fakeDriftService(
  handler: Handler<driftV1.PredictRequest, driftV1.PredictResponse>,
): Promise<FakeService> {
  return serve(driftV1.DriftServiceService, { predict: unaryMethod(handler) });
}

/** A V2 endpoint whose ModelInfer answers with `handler`. */
export function fakeInferenceService(
  handler: Handler<inference.ModelInferRequest, inference.ModelInferResponse>,
): Promise<FakeService> {
  return serve(inference.GRPCInferenceServiceService, { modelInfer: unaryMethod(handler) });
}

/**
 * A V2 endpoint whose ModelInfer sees and answers encoded messages (identity serializers),
 * so a test can check the very bytes an upstream receives.
 */
export function fakeRawInferenceService(handler: Handler<Buffer, Buffer>): Promise<FakeService> {
  return fakeRawInferenceEndpoint(unaryMethod(handler));
}

/**
 * A V2 endpoint whose ModelInfer is the grpc-js handler `modelInfer` on encoded messages
 * (it may send headers first, answer late or never), bound to `bindAddress` (`host:port`,
 * port 0 for a free one), plaintext unless `credentials` say otherwise.
 */
export function fakeRawInferenceEndpoint(
  modelInfer: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => void,
  bindAddress = '127.0.0.1:0',
  credentials?: ServerCredentials,
): Promise<FakeService> {
  const typed = inference.GRPCInferenceServiceService;
  const identity = (bytes: Buffer): Buffer => bytes;
  const definition: ServiceDefinition = {
    ...typed,
    modelInfer: { ...typed.modelInfer, requestDeserialize: identity, responseSerialize: identity },
  };
  return serve(definition, { modelInfer }, bindAddress, credentials);
}
