/**
 * The engine's {@link ModelInferer} over gRPC: ModelInfer with raw contents (the routed
 * tensors' bytes as they are), the attempt's deadline and the caller's cancellation.
 */
import { type ClientUnaryCall, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { recordToParameters } from '@sightline/tensor';
import { appendInferFields, type ScannedInferResponse, scanInferResponse } from '../contract/infer-wire.js';
import { routedFromWire, routedToWire } from '../contract/routed-wire.js';
import type { CallOptions, ModelAnswer, ModelCall, ModelInferer, ModelTarget } from '../engine/ports.js';
import { fromServiceError } from './grpc-status-error.js';
import type { UpstreamClients } from './upstream-clients.js';

/** Model metadata as the router reports it. */
export interface UpstreamModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly { name: string; datatype: string; shape: readonly number[] }[];
  readonly outputs: readonly { name: string; datatype: string; shape: readonly number[] }[];
  /** The string parameters (a Sightline model-server's `source_uri` and `lineage.*`). */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** Runs a unary call with a deadline and cancellation, as a promise of a domain result. */
export function callUnary<Res>(
  start: (
    metadata: Metadata,
    options: { deadline: Date },
    callback: (error: ServiceError | null, response: Res) => void,
  ) => ClientUnaryCall,
  options: CallOptions,
): Promise<Res> {
  const metadata = new Metadata();
  const traceHeaders = options.traceHeaders;
  if (traceHeaders) for (const key in traceHeaders) metadata.set(key, traceHeaders[key]!);
  return new Promise((resolve, reject) => {
    let stopListening: (() => void) | undefined;
    const call = start(metadata, { deadline: new Date(options.deadlineMs) }, (error, response) => {
      stopListening?.();
      if (error) reject(fromServiceError(error));
      else resolve(response);
    });
    // grpc-js answers on a later turn, so the listener is in place before the callback runs.
    stopListening = options.cancellation.onCancel(() => call.cancel());
  });
}

const MODEL_INFER_PATH = inference.GRPCInferenceServiceService.modelInfer.path;

/** Whether nothing in `parameters` is set (a for-in, not an array of keys, per answer). */
function noParameters(parameters: { readonly [key: string]: unknown }): boolean {
  for (const _ in parameters) return false;
  return true;
}

/** Whether a scanned answer can be passed on as bytes: see {@link ModelAnswer.encoded}. */
function forwardableAnswer(scan: ScannedInferResponse): boolean {
  if (scan.rawOutputContents.length !== scan.outputs.length || !noParameters(scan.parameters)) return false;
  return scan.outputs.every((o) => o.contents === undefined && noParameters(o.parameters));
}

/**
 * Reads an upstream's ModelInferResponse bytes, failing as grpc-js fails a typed call whose
 * answer is missing or unparsable (INTERNAL, same wording).
 */
function readAnswer(response: Buffer): ScannedInferResponse {
  try {
    return scanInferResponse(response);
  } catch (error) {
    const reason =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw fromServiceError({
      code: status.INTERNAL,
      details: `Response message parsing error: ${reason}`,
      metadata: new Metadata(),
    });
  }
}

/** A ModelInferRequest for `target` encoded from the call's fields, tensors in raw contents. */
function encodeRequest(target: ModelTarget, call: ModelCall): Buffer {
  const { headers, raw } = routedToWire(call.tensors, 'raw');
  const request: inference.ModelInferRequest = {
    modelName: target.modelName,
    modelVersion: target.modelVersion,
    id: call.id,
    parameters: recordToParameters(call.parameters),
    inputs: headers,
    outputs: call.outputs.map((name) => ({
      name,
      parameters: recordToParameters(call.outputParameters?.[name] ?? {}),
    })),
    rawInputContents: raw,
  };
  const encoded = inference.ModelInferRequest.encode(request).finish();
  // A view, not a copy: grpc-js's identity serializer wants a Buffer.
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/** The upstream clients' ModelInferer. */
export class GrpcModelInferer implements ModelInferer {
  constructor(private readonly clients: UpstreamClients) {}

  /**
   * ModelInfer: the caller's bytes with the target's name and version and the request id
   * appended when the executor hands them over (`call.forward`), else a request encoded
   * here from the call's tensors (raw contents). Either way the same upstream client (the
   * HTTP/2 channel where there is one) sends it and the answer is read with the scanner.
   */
  async infer(target: ModelTarget, call: ModelCall, options: CallOptions): Promise<ModelAnswer> {
    const forward = call.forward;
    const request = forward
      ? appendInferFields(forward.bytes, forward.length, {
          modelName: target.modelName,
          modelVersion: target.modelVersion,
          id: call.id,
        })
      : encodeRequest(target, call);
    const response = await this.callBytes(target.address, request, options);
    const scan = readAnswer(response);
    return {
      modelName: scan.modelName,
      modelVersion: scan.modelVersion,
      tensors: routedFromWire(scan.outputs, scan.rawOutputContents, 'output', 'raw_output_contents'),
      parameters: {},
      encoded: forward && forwardableAnswer(scan) ? { bytes: response, length: scan.length } : undefined,
    };
  }

  /** ModelInfer with encoded bytes, on the address's upstream transport. */
  private async callBytes(address: string, request: Buffer, options: CallOptions): Promise<Buffer> {
    try {
      return await this.clients.inferenceTransport(address).call(MODEL_INFER_PATH, request, {
        deadlineMs: options.deadlineMs,
        cancellation: options.cancellation,
        headers: options.traceHeaders ?? this.clients.activeTraceHeaders(),
      });
    } catch (error) {
      throw fromServiceError(error);
    }
  }

  /** Whether the upstream reports the model ready. */
  async modelReady(target: ModelTarget, options: CallOptions): Promise<boolean> {
    const client = this.clients.inference(target.address);
    const response = await callUnary<inference.ModelReadyResponse>(
      (metadata, callOptions, callback) =>
        client.modelReady(
          { name: target.modelName, version: target.modelVersion },
          metadata,
          callOptions,
          callback,
        ),
      options,
    );
    return response.ready;
  }

  /** The upstream's metadata of the model. */
  async modelMetadata(target: ModelTarget, options: CallOptions): Promise<UpstreamModelMetadata> {
    const client = this.clients.inference(target.address);
    const response = await callUnary<inference.ModelMetadataResponse>(
      (metadata, callOptions, callback) =>
        client.modelMetadata(
          { name: target.modelName, version: target.modelVersion },
          metadata,
          callOptions,
          callback,
        ),
      options,
    );
    const tensor = (t: inference.ModelMetadataResponse_TensorMetadata) => ({
      name: t.name,
      datatype: t.datatype,
      shape: t.shape.map(Number),
    });
    return {
      name: response.name,
      versions: response.versions,
      platform: response.platform,
      inputs: response.inputs.map(tensor),
      outputs: response.outputs.map(tensor),
      parameters: Object.fromEntries(
        Object.entries(response.parameters ?? {}).flatMap(([key, value]) =>
          value.stringParam === undefined ? [] : [[key, value.stringParam]],
        ),
      ),
    };
  }
}
