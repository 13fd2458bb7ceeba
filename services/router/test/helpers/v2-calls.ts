/**
 * Calls for tests over the generated grpc-js clients, sent on the SDK's call path
 * (@sightline/sdk: its channel, metadata and deadline handling), so the project has one V2
 * client. Tests here check the router's wire behaviour, so a call sends the protocol message
 * as given, resolves with the response message as received, and rejects with the grpc-js
 * ServiceError the SDK's error carries as its cause (status number and details exactly as the
 * router sent them). No retries, and no deadline unless the test sets one, so the router's
 * own budgets (graph timeout_ms, --request-timeout-ms) apply as they do for such a client.
 */
import { credentials, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { inference, routerV1 } from '@sightline/contracts';
import { type MethodDefinition, Sightline, SightlineError } from '@sightline/sdk';

/** A unary method of a generated grpc-js client (its callback form names the response type). */
export type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline?: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** The SDK client behind each generated client these helpers made, by that client. */
const sdkOf = new WeakMap<object, { readonly sightline: Sightline; readonly address: string }>();

/** Ties a generated client to an SDK client on the same address; closing one closes both. */
function onSdk<C extends { close(): void }>(client: C, address: string): C {
  const sightline = new Sightline({
    address,
    deadlineMs: Number.POSITIVE_INFINITY,
    retry: { maxAttempts: 1 },
  });
  sdkOf.set(client, { sightline, address });
  const closeClient = client.close.bind(client);
  client.close = () => {
    closeClient();
    sightline.close();
  };
  return client;
}

/**
 * Calls a unary method of a client made by `inferenceClient` or `graphClient` (the method
 * is named by the generated function, e.g. `client.modelInfer`); rejects with the ServiceError.
 */
export async function call<Req, Res>(
  client: object,
  method: Unary<Req, Res>,
  request: Req,
  options: { deadlineMs?: number; headers?: Record<string, string> } = {},
): Promise<Res> {
  const sdk = sdkOf.get(client);
  if (sdk === undefined) throw new Error('call: make the client with inferenceClient() or graphClient()');
  // grpc-js puts the method's path and (de)serialisers on the generated function itself.
  const definition = method as unknown as MethodDefinition<Req, Res>;
  try {
    return await sdk.sightline.caller.unary(sdk.address, definition, request, {
      ...(options.deadlineMs ? { deadlineMs: options.deadlineMs } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
  } catch (error) {
    throw error instanceof SightlineError && isServiceError(error.cause) ? error.cause : error;
  }
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

export function inferenceClient(address: string): inference.GRPCInferenceServiceClient {
  return onSdk(new inference.GRPCInferenceServiceClient(address, credentials.createInsecure()), address);
}

export function graphClient(address: string): routerV1.GraphServiceClient {
  return onSdk(new routerV1.GraphServiceClient(address, credentials.createInsecure()), address);
}

/** A typed FP32 iris request for `model`. */
export function irisRequest(
  model: string,
  rows: number[][] = [[5.1, 3.5, 1.4, 0.2]],
  id = '',
): inference.ModelInferRequest {
  return inference.ModelInferRequest.fromPartial({
    modelName: model,
    id,
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [BigInt(rows.length), 4n],
        contents: { fp32Contents: rows.flat() },
      },
    ],
  });
}

/** The same request with raw contents. */
export function rawIrisRequest(
  model: string,
  rows: number[][] = [[5.1, 3.5, 1.4, 0.2]],
): inference.ModelInferRequest {
  const values = Float32Array.from(rows.flat());
  return inference.ModelInferRequest.fromPartial({
    modelName: model,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [BigInt(rows.length), 4n] }],
    rawInputContents: [Buffer.from(values.buffer)],
  });
}

/** A string response parameter. */
export function param(
  response: inference.ModelInferResponse,
  name: string,
): string | boolean | number | bigint | undefined {
  const p = response.parameters[name];
  return p?.stringParam ?? p?.boolParam ?? p?.doubleParam ?? p?.int64Param;
}
