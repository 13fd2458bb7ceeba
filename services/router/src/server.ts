/**
 * The gRPC adapters of the router: `inference.GRPCInferenceService` (graphs callable by
 * any Open Inference Protocol client) and `sightline.router.v1.GraphService`. Each handler
 * converts the message, makes one domain call and converts the answer; the service-kit's
 * wrappers add spans, metrics, logs and error mapping.
 */
import type { handleBidiStreamingCall, handleUnaryCall, Server, ServiceDefinition } from '@grpc/grpc-js';
import { isSpanContextValid } from '@opentelemetry/api';
import { inference, routerV1 } from '@sightline/contracts';
import { InvalidArgumentError, ResourceExhaustedError, UnimplementedError } from '@sightline/errors';
import {
  bidiStream,
  type CallContext,
  type CallKit,
  decoded,
  tolerantDefinition,
  unary,
} from '@sightline/service-kit';
import { type ContentsMode, resolveDecodeLimits, responseContentsMode } from '@sightline/tensor';
import { type DocumentEnvironment, parseGraphDocument } from './contract/graph-document.js';
import { graphFromMessage, graphToMessage, problemToMessage } from './contract/graph-message.js';
import { encodeInferResponse, requestFromScan } from './contract/infer-messages.js';
import { type ScannedInferRequest, scanInferRequest, streamInferResponse } from './contract/infer-wire.js';
import { incomingTrace } from './contract/trace-headers.js';
import type { RoutedRequest } from './engine/routed-request.js';
import type { GraphManager } from './graph/graph-manager.js';
import { TRACE_ID_TRAILER } from './inference/request-trace.js';
import { type RouterCall, type RouterDataPlane, TRACE_ID_PARAMETER } from './inference/router-data-plane.js';

const INFERENCE = 'inference.GRPCInferenceService';
const GRAPHS = 'sightline.router.v1.GraphService';

/** Limits applied while adapting messages. */
export interface AdapterLimits {
  readonly maxTensors: number;
  readonly maxElementsPerTensor: number;
  readonly streamMaxInFlight: number;
  readonly maxGraphDocumentBytes: number;
  readonly maxGraphDocumentAliases: number;
  readonly maxGraphDocumentDepth: number;
}

function routerCall(call: CallContext, traced: boolean): RouterCall {
  // grpc-js keeps metadata keys in lower case; binary (-bin) values are not headers here.
  const headers = call.metadata.getMap() as Record<string, string>;
  for (const key in headers) if (typeof headers[key] !== 'string') delete headers[key];
  if (!traced) {
    // No spans recorded: the caller's context is read from its headers and passed on as is.
    const incoming = incomingTrace(headers);
    if (!incoming) return { deadlineMs: call.deadlineMs, cancellation: call, headers, traceId: '' };
    return {
      deadlineMs: call.deadlineMs,
      cancellation: call,
      headers,
      traceId: incoming.traceId,
      traceparent: incoming.traceparent,
      traceHeaders: incoming.headers,
    };
  }
  const span = call.span.spanContext();
  const valid = isSpanContextValid(span);
  return {
    deadlineMs: call.deadlineMs,
    cancellation: call,
    headers,
    traceId: valid ? span.traceId : '',
    ...(valid ? { traceparent: `00-${span.traceId}-${span.spanId}-0${span.traceFlags.toString(16)}` } : {}),
  };
}

function signature(t: {
  name: string;
  datatype: string;
  shape: readonly number[];
}): inference.ModelMetadataResponse_TensorMetadata {
  return { name: t.name, datatype: t.datatype, shape: t.shape.map((d) => BigInt(d)) };
}

/** Adds the inference service to `server`. */
export function registerInferenceService(
  server: Server,
  kit: CallKit,
  dataPlane: RouterDataPlane,
  limits: AdapterLimits,
): void {
  const m = (name: string) => `${INFERENCE}/${name}`;
  const traced = kit.traced !== false;
  // Resolved once here, not per request.
  const decodeLimits = resolveDecodeLimits({
    maxTensors: limits.maxTensors,
    maxElementsPerTensor: limits.maxElementsPerTensor,
  });
  // ModelInfer and ModelStreamInfer take and give bytes (identity (de)serializers below):
  // every request is scanned and keeps its bytes for the upstream call; every answer is
  // appended to or encoded in one place (docs/design/router-byte-path.md).
  const infer = async (bytes: Buffer, call: CallContext): Promise<Buffer> => {
    const routed = routerCall(call, traced);
    let request: RoutedRequest;
    let mode: ContentsMode;
    try {
      const scan = scanInferRequest(bytes);
      request = requestFromScan(bytes, scan, decodeLimits);
      mode = responseContentsMode(scan);
    } catch (error) {
      throw dataPlane.refused(error, routed);
    }
    return encodeInferResponse(await dataPlane.infer(request, routed), mode);
  };
  const unsupported = (what: string) => async () => {
    throw new UnimplementedError(
      `${what} is a model-server extension; call it on the model-server, not the router`,
    );
  };
  const implementation: Omit<inference.GRPCInferenceServiceServer, 'modelInfer' | 'modelStreamInfer'> & {
    modelInfer: handleUnaryCall<Buffer, Buffer>;
    modelStreamInfer: handleBidiStreamingCall<Buffer, Buffer>;
  } = {
    serverLive: unary(kit, m('ServerLive'), async () => ({ live: dataPlane.live() })),
    serverReady: unary(kit, m('ServerReady'), async () => ({ ready: dataPlane.ready() })),
    modelReady: unary(kit, m('ModelReady'), async (message: inference.ModelReadyRequest, call) => {
      const req = decoded(message, 'ModelReadyRequest');
      return { ready: await dataPlane.modelReady(req.name, req.version, { cancellation: call }) };
    }),
    serverMetadata: unary(kit, m('ServerMetadata'), async () => {
      const identity = dataPlane.serverMetadata();
      return { name: identity.name, version: identity.version, extensions: [...identity.extensions] };
    }),
    modelMetadata: unary(kit, m('ModelMetadata'), async (message: inference.ModelMetadataRequest, call) => {
      const req = decoded(message, 'ModelMetadataRequest');
      const metadata = await dataPlane.modelMetadata(req.name, req.version, { cancellation: call });
      return {
        name: metadata.name,
        versions: [...metadata.versions],
        platform: metadata.platform,
        inputs: metadata.inputs.map(signature),
        outputs: metadata.outputs.map(signature),
        parameters: Object.fromEntries(
          Object.entries(metadata.parameters ?? {}).map(([key, value]) => [key, { stringParam: value }]),
        ),
      } satisfies inference.ModelMetadataResponse;
    }),
    modelInfer: unary(kit, m('ModelInfer'), infer),
    modelStreamInfer: bidiStream<Buffer, Buffer>(kit, m('ModelStreamInfer'), {
      maxInFlight: limits.streamMaxInFlight,
      handle: async (bytes, call) => streamInferResponse(await infer(bytes, call)),
      onError: (status, bytes) => {
        // A stream message has no trailers of its own: the trace id goes in its parameters.
        const traceId = status.metadata.get(TRACE_ID_TRAILER)[0];
        // The request's fields again (an error is rare); none when its bytes are no request.
        const request = scannedOrNone(bytes);
        const message = inference.ModelStreamInferResponse.encode({
          errorMessage: status.details,
          inferResponse: inference.ModelInferResponse.fromPartial({
            modelName: request?.modelName,
            modelVersion: request?.modelVersion,
            id: request?.id,
            ...(typeof traceId === 'string'
              ? { parameters: { [TRACE_ID_PARAMETER]: { stringParam: traceId } } }
              : {}),
          }),
        }).finish();
        return Buffer.from(message.buffer, message.byteOffset, message.byteLength);
      },
    }),
    modelConfig: unary(kit, m('ModelConfig'), unsupported('ModelConfig')),
    modelStatistics: unary(kit, m('ModelStatistics'), unsupported('ModelStatistics')),
    repositoryIndex: unary(kit, m('RepositoryIndex'), unsupported('RepositoryIndex')),
    repositoryModelLoad: unary(kit, m('RepositoryModelLoad'), unsupported('RepositoryModelLoad')),
    repositoryModelUnload: unary(kit, m('RepositoryModelUnload'), unsupported('RepositoryModelUnload')),
  };
  const typed = inference.GRPCInferenceServiceService;
  // Tolerant: ModelMetadata and ModelReady answer bytes that are no request as ModelInfer does.
  const definition: ServiceDefinition = tolerantDefinition({
    ...typed,
    modelInfer: { ...typed.modelInfer, requestDeserialize: identity, responseSerialize: identity },
    modelStreamInfer: {
      ...typed.modelStreamInfer,
      requestDeserialize: identity,
      responseSerialize: identity,
    },
  });
  server.addService(definition, implementation);
}

const identity = (bytes: Buffer): Buffer => bytes;

/** What a request's bytes say, or undefined when they are malformed. */
function scannedOrNone(bytes: Buffer): ScannedInferRequest | undefined {
  try {
    return scanInferRequest(bytes);
  } catch {
    return undefined;
  }
}

function storedToMessage(stored: ReturnType<GraphManager['get']>): routerV1.StoredGraph {
  return {
    graph: graphToMessage(stored.compiled.spec),
    generation: BigInt(stored.generation),
    createTime: new Date(stored.createTimeMs),
    updateTime: new Date(stored.updateTimeMs),
  };
}

const FORMATS: Record<number, 'auto' | 'yaml' | 'json'> = {
  [routerV1.GraphDocumentFormat.GRAPH_DOCUMENT_FORMAT_YAML]: 'yaml',
  [routerV1.GraphDocumentFormat.GRAPH_DOCUMENT_FORMAT_JSON]: 'json',
};

/** The spec of an Apply/Validate request, with the problems found while reading it. */
function sourceOf(
  req: { graph?: routerV1.Graph | undefined; document?: routerV1.GraphDocument | undefined },
  limits: AdapterLimits,
  env: DocumentEnvironment,
): ReturnType<typeof parseGraphDocument> {
  if (req.graph) return { graph: graphFromMessage(req.graph), problems: [] };
  if (req.document) {
    const bytes = Buffer.byteLength(req.document.text, 'utf8');
    if (bytes > limits.maxGraphDocumentBytes) {
      throw new ResourceExhaustedError(
        `document.text: ${bytes} bytes; at most ${limits.maxGraphDocumentBytes}`,
      );
    }
    return parseGraphDocument(req.document.text, {
      format: FORMATS[req.document.format] ?? 'auto',
      env,
      source: 'document',
      maxAliases: limits.maxGraphDocumentAliases,
      maxDepth: limits.maxGraphDocumentDepth,
    });
  }
  throw new InvalidArgumentError('source: one of graph or document is required');
}

/** Adds the graph service to `server`. */
export function registerGraphService(
  server: Server,
  kit: CallKit,
  graphs: GraphManager,
  limits: AdapterLimits,
  env: DocumentEnvironment,
): void {
  const m = (name: string) => `${GRAPHS}/${name}`;
  const implementation: routerV1.GraphServiceServer = {
    applyGraph: unary(kit, m('ApplyGraph'), async (req: routerV1.ApplyGraphRequest) => {
      const source = sourceOf(decoded(req, 'ApplyGraphRequest'), limits, env);
      const { stored, created } = await graphs.apply(source);
      return { graph: storedToMessage(stored), created };
    }),
    getGraph: unary(kit, m('GetGraph'), async (req: routerV1.GetGraphRequest) => ({
      graph: storedToMessage(graphs.get(decoded(req, 'GetGraphRequest').name)),
    })),
    listGraphs: unary(kit, m('ListGraphs'), async (req: routerV1.ListGraphsRequest) => {
      const { pageSize, pageToken } = decoded(req, 'ListGraphsRequest');
      const page = graphs.list(pageSize, pageToken);
      return { graphs: page.graphs.map(storedToMessage), nextPageToken: page.nextPageToken };
    }),
    deleteGraph: unary(kit, m('DeleteGraph'), async (req: routerV1.DeleteGraphRequest) => {
      await graphs.delete(decoded(req, 'DeleteGraphRequest').name);
      return {};
    }),
    validateGraph: unary(kit, m('ValidateGraph'), async (req: routerV1.ValidateGraphRequest) => {
      const source = sourceOf(decoded(req, 'ValidateGraphRequest'), limits, env);
      const problems = graphs.validate(source);
      return {
        valid: problems.every((p) => p.severity !== 'error'),
        problems: problems.map(problemToMessage),
        graph: source.graph ? graphToMessage(source.graph) : undefined,
      };
    }),
  };
  server.addService(tolerantDefinition(routerV1.GraphServiceService), implementation);
}
