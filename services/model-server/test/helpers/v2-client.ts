/**
 * A promise-shaped Open Inference Protocol v2 client over the generated grpc-js stub, so
 * tests read as calls and assertions. It adds nothing to the wire: each method sends the
 * generated message as the stub would, with a deadline so a hung server fails the test.
 */
import {
  type CallOptions,
  type ChannelOptions,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { expect } from 'vitest';

/** The deadline of every call, so no test waits for a hung server longer than this. */
export const CALL_DEADLINE_MS = 15_000;

type Callback<Res> = (error: ServiceError | null, response?: Res) => void;

/** Runs one unary call of the stub and resolves with its response or rejects with its ServiceError. */
function unaryCall<Res>(
  invoke: (metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Res>) => unknown,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke(new Metadata(), { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) =>
      error ? reject(error) : resolve(response as Res),
    );
  });
}

/** The generated client, promisified. */
export class V2Client {
  readonly stub: inference.GRPCInferenceServiceClient;

  constructor(address: string, options: ChannelOptions = {}) {
    this.stub = new inference.GRPCInferenceServiceClient(address, credentials.createInsecure(), options);
  }

  serverLive(): Promise<inference.ServerLiveResponse> {
    return unaryCall((m, o, cb) => this.stub.serverLive({}, m, o, cb));
  }

  serverReady(): Promise<inference.ServerReadyResponse> {
    return unaryCall((m, o, cb) => this.stub.serverReady({}, m, o, cb));
  }

  serverMetadata(): Promise<inference.ServerMetadataResponse> {
    return unaryCall((m, o, cb) => this.stub.serverMetadata({}, m, o, cb));
  }

  modelReady(name: string, version = ''): Promise<inference.ModelReadyResponse> {
    return unaryCall((m, o, cb) => this.stub.modelReady({ name, version }, m, o, cb));
  }

  modelMetadata(name: string, version = ''): Promise<inference.ModelMetadataResponse> {
    return unaryCall((m, o, cb) => this.stub.modelMetadata({ name, version }, m, o, cb));
  }

  modelInfer(
    request: inference.DeepPartial<inference.ModelInferRequest>,
    options: Partial<CallOptions> = {},
  ): Promise<inference.ModelInferResponse> {
    const message = inference.ModelInferRequest.fromPartial(request);
    return unaryCall((m, o, cb) => this.stub.modelInfer(message, m, { ...o, ...options }, cb));
  }

  modelConfig(name: string, version = ''): Promise<inference.ModelConfigResponse> {
    return unaryCall((m, o, cb) => this.stub.modelConfig({ name, version }, m, o, cb));
  }

  modelStatistics(name = '', version = ''): Promise<inference.ModelStatisticsResponse> {
    return unaryCall((m, o, cb) => this.stub.modelStatistics({ name, version }, m, o, cb));
  }

  repositoryIndex(ready = false): Promise<inference.RepositoryIndexResponse> {
    return unaryCall((m, o, cb) => this.stub.repositoryIndex({ repositoryName: '', ready }, m, o, cb));
  }

  repositoryModelLoad(
    modelName: string,
    configJson?: string,
  ): Promise<inference.RepositoryModelLoadResponse> {
    const parameters = configJson === undefined ? {} : { config: { stringParam: configJson } };
    const message = inference.RepositoryModelLoadRequest.fromPartial({ modelName, parameters });
    return unaryCall((m, o, cb) => this.stub.repositoryModelLoad(message, m, o, cb));
  }

  repositoryModelUnload(modelName: string): Promise<inference.RepositoryModelUnloadResponse> {
    const message = inference.RepositoryModelUnloadRequest.fromPartial({ modelName });
    return unaryCall((m, o, cb) => this.stub.repositoryModelUnload(message, m, o, cb));
  }

  /**
   * Sends `requests` on one ModelStreamInfer stream, half-closes it, and collects every
   * response until the server ends the stream.
   */
  streamInfer(
    requests: readonly inference.DeepPartial<inference.ModelInferRequest>[],
  ): Promise<inference.ModelStreamInferResponse[]> {
    return new Promise((resolve, reject) => {
      const responses: inference.ModelStreamInferResponse[] = [];
      const call = this.stub.modelStreamInfer({ deadline: Date.now() + CALL_DEADLINE_MS });
      call.on('data', (response: inference.ModelStreamInferResponse) => responses.push(response));
      call.on('error', reject);
      call.on('end', () => resolve(responses));
      for (const request of requests) call.write(inference.ModelInferRequest.fromPartial(request));
      call.end();
    });
  }

  close(): void {
    this.stub.close();
  }
}

/** True for the error a grpc-js call rejects with. */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/** The status name of a code, e.g. `INVALID_ARGUMENT`, for readable assertion failures. */
export function statusName(code: number): string {
  return status[code] ?? String(code);
}

/**
 * Awaits a call that must fail, and checks its status code and that its details match
 * `details` (a tensor or field name, the rule). Returns the error for further checks.
 */
export async function expectStatus(
  call: Promise<unknown>,
  code: status,
  details: RegExp,
): Promise<ServiceError> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (error) {
    outcome = error;
  }
  if (!isServiceError(outcome)) {
    throw new Error(
      `expected ${statusName(code)}, but the call succeeded: ${JSON.stringify(outcome, bigintJson)}`,
    );
  }
  expect(
    { code: statusName(outcome.code), details: outcome.details },
    `expected ${statusName(code)} with details matching ${details}`,
  ).toEqual({ code: statusName(code), details: expect.stringMatching(details) });
  return outcome;
}

/** A JSON.stringify replacer that prints bigints. */
export function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
