/**
 * A message-level Open Inference Protocol v2 client for tests, on the SDK's call path
 * (@sightline/sdk: its channel, deadline and metadata handling), so the project has one V2
 * client. Tests here check the server's wire behaviour, so each method sends the protocol
 * message as given and resolves with the response message as received (no SDK tensor
 * conversion), and rejects with the grpc-js ServiceError the SDK's error carries as its
 * cause: the status number and details exactly as the server sent them. Retries are off,
 * so every refusal reaches the test.
 */
import { type ChannelOptions, credentials, type ServiceError, status } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { type CallOptions, type MethodDefinition, Sightline, SightlineError } from '@sightline/sdk';
import { expect } from 'vitest';

/** The deadline of every call, so no test waits for a hung server longer than this. */
export const CALL_DEADLINE_MS = 15_000;

const service = inference.GRPCInferenceServiceService;

/** A V2 client on one address, built on the SDK. */
export class V2Client {
  /** The SDK client this one calls through (tests may use its typed API directly). */
  readonly sightline: Sightline;
  /** The generated grpc-js stub, for the few tests that send hand-made bytes or metadata. */
  readonly stub: inference.GRPCInferenceServiceClient;

  constructor(
    readonly address: string,
    options: ChannelOptions = {},
  ) {
    this.sightline = new Sightline({
      address,
      deadlineMs: CALL_DEADLINE_MS,
      retry: { maxAttempts: 1 },
      channelOptions: options,
    });
    this.stub = new inference.GRPCInferenceServiceClient(address, credentials.createInsecure(), options);
  }

  serverLive(): Promise<inference.ServerLiveResponse> {
    return this.call(service.serverLive, {});
  }

  serverReady(): Promise<inference.ServerReadyResponse> {
    return this.call(service.serverReady, {});
  }

  serverMetadata(): Promise<inference.ServerMetadataResponse> {
    return this.call(service.serverMetadata, {});
  }

  modelReady(name: string, version = ''): Promise<inference.ModelReadyResponse> {
    return this.call(service.modelReady, { name, version });
  }

  modelMetadata(name: string, version = ''): Promise<inference.ModelMetadataResponse> {
    return this.call(service.modelMetadata, { name, version });
  }

  /** Sends the request message as given (built with fromPartial); `deadlineMs` overrides the default. */
  modelInfer(
    request: inference.DeepPartial<inference.ModelInferRequest>,
    options: { deadlineMs?: number } = {},
  ): Promise<inference.ModelInferResponse> {
    return this.call(service.modelInfer, inference.ModelInferRequest.fromPartial(request), options);
  }

  modelConfig(name: string, version = ''): Promise<inference.ModelConfigResponse> {
    return this.call(service.modelConfig, { name, version });
  }

  modelStatistics(name = '', version = ''): Promise<inference.ModelStatisticsResponse> {
    return this.call(service.modelStatistics, { name, version });
  }

  repositoryIndex(ready = false): Promise<inference.RepositoryIndexResponse> {
    return this.call(service.repositoryIndex, { repositoryName: '', ready });
  }

  repositoryModelLoad(
    modelName: string,
    configJson?: string,
  ): Promise<inference.RepositoryModelLoadResponse> {
    const parameters = configJson === undefined ? {} : { config: { stringParam: configJson } };
    const message = inference.RepositoryModelLoadRequest.fromPartial({ modelName, parameters });
    return this.call(service.repositoryModelLoad, message);
  }

  repositoryModelUnload(modelName: string): Promise<inference.RepositoryModelUnloadResponse> {
    const message = inference.RepositoryModelUnloadRequest.fromPartial({ modelName });
    return this.call(service.repositoryModelUnload, message);
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
      const call = this.sightline.caller.bidiStream(this.address, service.modelStreamInfer, {
        deadlineMs: CALL_DEADLINE_MS,
      });
      call.on('data', (response: inference.ModelStreamInferResponse) => responses.push(response));
      call.on('error', reject);
      call.on('end', () => resolve(responses));
      for (const request of requests) call.write(inference.ModelInferRequest.fromPartial(request));
      call.end();
    });
  }

  close(): void {
    this.stub.close();
    this.sightline.close();
  }

  /** One unary call through the SDK; rejects with the server's ServiceError (see the file's comment). */
  private async call<Req, Res>(
    method: MethodDefinition<Req, Res>,
    request: Req,
    options: CallOptions = {},
  ): Promise<Res> {
    try {
      return await this.sightline.caller.unary(this.address, method, request, options);
    } catch (error) {
      throw error instanceof SightlineError && isServiceError(error.cause) ? error.cause : error;
    }
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
