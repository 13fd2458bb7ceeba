/** Promise wrappers over the generated grpc-js clients, for tests. */
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { inference, routerV1 } from '@sightline/contracts';

export type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline?: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Calls a unary method; rejects with the ServiceError. */
export function call<Req, Res>(
  client: object,
  method: Unary<Req, Res>,
  request: Req,
  options: { deadlineMs?: number; headers?: Record<string, string> } = {},
): Promise<Res> {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(options.headers ?? {})) metadata.set(k, v);
  return new Promise((resolve, reject) => {
    method.call(
      client,
      request,
      metadata,
      options.deadlineMs ? { deadline: new Date(Date.now() + options.deadlineMs) } : {},
      (error, response) => (error ? reject(error) : resolve(response)),
    );
  });
}

export function inferenceClient(address: string): inference.GRPCInferenceServiceClient {
  return new inference.GRPCInferenceServiceClient(address, credentials.createInsecure());
}

export function graphClient(address: string): routerV1.GraphServiceClient {
  return new routerV1.GraphServiceClient(address, credentials.createInsecure());
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
