/**
 * The V2 endpoints over grpc-js: one pooled client per address (a client owns a channel;
 * reusing it saves a handshake per call), each call with its deadline, the caller's
 * cancellation and W3C trace context (the caller's headers when the explainer records no
 * spans, else the active span's, as the router's upstream does).
 */
import { type ClientUnaryCall, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { errorFromStatus, type SightlineError } from '@sightline/errors';
import { statusName, traceContextClientInterceptor } from '@sightline/service-kit';
import { type Datatype, decodeInferOutputs, encodeInferInputs, type Tensor } from '@sightline/tensor';
import type {
  InferAnswer,
  TargetMetadata,
  UpstreamCallOptions,
  V2Endpoint,
  V2Endpoints,
} from '../data-plane/target-ports.js';

/** Settings of the upstream channels. */
export interface V2EndpointOptions {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
}

/** An upstream's failure as the error family, its message naming the address. */
function upstreamError(address: string, error: ServiceError): SightlineError {
  // grpc-js ends some connection failures with an empty "Resolution note:"; it says nothing.
  const details = error.details.replace(/\.?\s*Resolution note:\s*$/, '') || statusName(error.code);
  // The model-server's own sentences (NOT_FOUND naming the model, INVALID_ARGUMENT naming an
  // input) are kept as they are; a transport failure says which upstream went away.
  const message = error.code === status.UNAVAILABLE ? `target ${address}: unavailable: ${details}` : details;
  return errorFromStatus(error.code, message, { cause: error });
}

function callUnary<Res>(
  address: string,
  start: (
    metadata: Metadata,
    options: { deadline: Date },
    callback: (error: ServiceError | null, response: Res) => void,
  ) => ClientUnaryCall,
  options: UpstreamCallOptions,
): Promise<Res> {
  const metadata = new Metadata();
  // The caller's headers when the explainer records no spans; when it does, the client's
  // trace interceptor writes the active (explainer) span's context over them, a child of
  // the caller's, so either way the model-server's spans join the caller's trace.
  for (const [key, value] of Object.entries(options.traceHeaders ?? {})) metadata.set(key, value);
  return new Promise((resolve, reject) => {
    let stopListening: (() => void) | undefined;
    const call = start(metadata, { deadline: new Date(options.deadlineMs) }, (error, response) => {
      stopListening?.();
      if (error) reject(upstreamError(address, error));
      else resolve(response);
    });
    stopListening = options.cancellation.onCancel(() => call.cancel());
  });
}

const spec = (t: inference.ModelMetadataResponse_TensorMetadata) => ({
  name: t.name,
  datatype: t.datatype as Datatype,
  shape: t.shape.map(Number),
});

class GrpcV2Endpoint implements V2Endpoint {
  constructor(
    private readonly address: string,
    private readonly client: inference.GRPCInferenceServiceClient,
  ) {}

  async metadata(model: string, version: string, options: UpstreamCallOptions): Promise<TargetMetadata> {
    const response = await callUnary<inference.ModelMetadataResponse>(
      this.address,
      (metadata, callOptions, callback) =>
        this.client.modelMetadata({ name: model, version }, metadata, callOptions, callback),
      options,
    );
    return {
      name: response.name,
      versions: response.versions,
      platform: response.platform,
      inputs: response.inputs.map(spec),
      outputs: response.outputs.map(spec),
    };
  }

  async maxBatchSize(
    model: string,
    version: string,
    options: UpstreamCallOptions,
  ): Promise<number | undefined> {
    try {
      const response = await callUnary<inference.ModelConfigResponse>(
        this.address,
        (metadata, callOptions, callback) =>
          this.client.modelConfig({ name: model, version }, metadata, callOptions, callback),
        options,
      );
      const size = response.config?.maxBatchSize ?? 0;
      return size > 0 ? size : undefined;
    } catch (error) {
      // Servers without Triton's ModelConfig (a router, KServe) answer UNIMPLEMENTED: the
      // budget's rows per call then stands alone. Anything else is the target's failure.
      if ((error as SightlineError).code === 'UNIMPLEMENTED') return undefined;
      throw error;
    }
  }

  async infer(
    model: string,
    version: string,
    inputs: readonly Tensor[],
    outputs: readonly string[],
    options: UpstreamCallOptions,
  ): Promise<InferAnswer> {
    const encoded = encodeInferInputs(inputs, 'raw');
    const request: inference.ModelInferRequest = {
      modelName: model,
      modelVersion: version,
      id: '',
      parameters: {},
      inputs: encoded.inputs,
      outputs: outputs.map((name) => ({ name, parameters: {} })),
      rawInputContents: encoded.rawInputContents,
    };
    const response = await callUnary<inference.ModelInferResponse>(
      this.address,
      (metadata, callOptions, callback) => this.client.modelInfer(request, metadata, callOptions, callback),
      options,
    );
    return {
      modelName: response.modelName,
      modelVersion: response.modelVersion,
      outputs: decodeInferOutputs(response),
    };
  }
}

/** Pooled gRPC clients of V2 servers, by address. */
export class GrpcV2Endpoints implements V2Endpoints {
  private readonly clients = new Map<
    string,
    { client: inference.GRPCInferenceServiceClient; endpoint: V2Endpoint }
  >();

  constructor(private readonly options: V2EndpointOptions) {}

  endpoint(address: string): V2Endpoint {
    let entry = this.clients.get(address);
    if (!entry) {
      const client = new inference.GRPCInferenceServiceClient(address, credentials.createInsecure(), {
        'grpc.max_receive_message_length': this.options.maxReceiveMessageBytes,
        'grpc.max_send_message_length': this.options.maxSendMessageBytes,
        interceptors: [traceContextClientInterceptor],
      });
      entry = { client, endpoint: new GrpcV2Endpoint(address, client) };
      this.clients.set(address, entry);
    }
    return entry.endpoint;
  }

  close(): void {
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }
}
