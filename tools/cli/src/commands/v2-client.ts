/**
 * A small Open Inference Protocol client for the CLI's `infer`, `models` and `ready`
 * commands: one channel, a deadline on every call, errors turned into sentences.
 */
import {
  credentials,
  InterceptingCall,
  type Interceptor,
  Metadata,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';

/** The generated client's type. */
export type V2Client = InstanceType<typeof inference.GRPCInferenceServiceClient>;

/**
 * Connects to `address` (host:port), insecure (the local stack); `headers` go with every
 * call as gRPC metadata.
 */
export function connect(address: string, headers: readonly (readonly [string, string])[] = []): V2Client {
  const interceptor: Interceptor = (options, next) =>
    new InterceptingCall(next(options), {
      start: (metadata, listener, nextStart) => {
        for (const [key, value] of headers) metadata.add(key.toLowerCase(), value);
        nextStart(metadata, listener);
      },
    });
  return new inference.GRPCInferenceServiceClient(address, credentials.createInsecure(), {
    interceptors: headers.length > 0 ? [interceptor] : [],
  });
}

/** Calls a unary method with a deadline and resolves with its response. */
export function call<Req, Res>(
  client: V2Client,
  method: (
    request: Req,
    metadata: Metadata,
    options: { deadline: number },
    callback: (error: ServiceError | null, response?: Res) => void,
  ) => unknown,
  request: Req,
  timeoutMs: number,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, new Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
      if (error) reject(new Error(`${status[error.code] ?? error.code}: ${error.details}`));
      else resolve(response as Res);
    });
  });
}
