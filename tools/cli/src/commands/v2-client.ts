/**
 * A small Open Inference Protocol client for the CLI's `infer` and `models list` until the
 * SDK (libs/sdk) replaces it: one channel, a deadline on every call, TLS and a bearer token
 * from the resolved connection, a server's status passed on as the error it is.
 */
import { credentials, InterceptingCall, type Interceptor, Metadata, type ServiceError } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import type { ResolvedConnection } from '../frame/connection.js';

/** The generated client's type. */
export type V2Client = InstanceType<typeof inference.GRPCInferenceServiceClient>;

/** Connects as the resolved connection says; `headers` go with every call as gRPC metadata. */
export function connect(
  connection: ResolvedConnection,
  headers: readonly (readonly [string, string])[] = [],
): V2Client {
  const all = [
    ...headers,
    ...(connection.token === undefined ? [] : [['authorization', `Bearer ${connection.token}`] as const]),
  ];
  const interceptor: Interceptor = (options, next) =>
    new InterceptingCall(next(options), {
      start: (metadata, listener, nextStart) => {
        for (const [key, value] of all) metadata.add(key, value);
        nextStart(metadata, listener);
      },
    });
  const tls = connection.tls;
  const channelCredentials = tls
    ? credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null)
    : credentials.createInsecure();
  return new inference.GRPCInferenceServiceClient(connection.address, channelCredentials, {
    interceptors: all.length > 0 ? [interceptor] : [],
    ...(tls?.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': tls.serverName }),
  });
}

/** Calls a unary method with a deadline; rejects with the grpc-js `ServiceError` (a status). */
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
      if (error) reject(error);
      else resolve(response as Res);
    });
  });
}
