/**
 * The router's inference façade, transport-free: ModelInfer where the model name names a
 * graph (or, with pass-through on, a model on the default model-server), readiness and
 * metadata for graphs, and one InferenceEvent per request. The gRPC adapter only converts
 * messages around these calls.
 */
import { randomUUID } from 'node:crypto';
import {
  type Cancellation,
  errorCode,
  InvalidArgumentError,
  isSightlineError,
  NotFoundError,
  quoteName,
} from '@sightline/errors';
import type { ParameterRecord } from '@sightline/tensor';
import type { GraphExecutor, RunTrail } from '../engine/graph-executor.js';
import type { MirrorResult } from '../engine/off-path-runner.js';
import type { CallOptions, EncodedMessage, ModelTarget } from '../engine/ports.js';
import type { RoutedRequest } from '../engine/routed-request.js';
import type { RoutedTensor } from '../engine/routed-tensor.js';
import type { RequestEventLog } from '../events/inference-event-builder.js';
import { type CompiledGraph, compileGraph } from '../graph/compiled-graph.js';
import type { GraphRegistry } from '../graph/graph-registry.js';
import type { TensorSignature } from '../graph/graph-spec.js';
import { upstreamSignature } from './graph-metadata.js';
import { DEFAULT_MAX_REQUEST_ID_LENGTH } from './request-limits.js';
import { newRequestTrace, withTraceIdTrailer } from './request-trace.js';

/** Response parameter carrying the request's trace id. */
export const TRACE_ID_PARAMETER = 'sightline.trace_id';
/** Response parameter carrying the nodes visited, comma-separated, in order. */
export const PATH_PARAMETER = 'sightline.path';
/** Response parameter carrying the soft nodes skipped, comma-separated. */
export const SKIPPED_PARAMETER = 'sightline.skipped';
/** The platform a graph reports in ModelMetadata. */
export const GRAPH_PLATFORM = 'sightline_graph';

/**
 * The longest model_name (and model_version) the router looks up or passes on, in
 * characters. Graph names are at most 63 and the model-server's model names at most 128;
 * other Open Inference Protocol servers name models after directories (at most 255 bytes).
 * A longer name can name nothing, so it is refused here, never forwarded: a megabyte name
 * would otherwise travel upstream and come back inside the upstream's error.
 */
export const ROUTED_NAME_MAX_LENGTH = 1024;

/** A ModelInfer answer in domain terms. */
export interface RouterInferResponse {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly tensors: readonly RoutedTensor[];
  readonly parameters: ParameterRecord;
  /**
   * The upstream's encoded answer, when it is this answer's tensors as they are (the
   * graph's root forwarded the caller's bytes and the upstream's answer can be passed on:
   * see ModelAnswer.encoded); the adapter then appends the fields above to it instead of
   * encoding the answer.
   */
  readonly encoded: EncodedMessage | undefined;
}

/** What the data plane knows of the call. */
export interface RouterCall {
  /** The caller's deadline, epoch ms; undefined when none was set. */
  readonly deadlineMs: number | undefined;
  /** The caller's cancel or passed deadline (the service-kit's CallContext is one). */
  readonly cancellation: Cancellation;
  /** Text request headers by lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The request's trace id (32 hex digits): the router's server span's, or the caller's
   * when the router records no spans; empty when neither (the data plane then makes one).
   */
  readonly traceId: string;
  /** The `traceparent` of the router's server span (or the caller's, untraced), for the event. */
  readonly traceparent?: string;
  /** Trace headers for every upstream call, when the router records no spans (see CallOptions). */
  readonly traceHeaders?: Readonly<Record<string, string>>;
}

/**
 * `call` with a trace context: its own, or a new one when it has none (no caller
 * `traceparent` and no spans recorded), sent upstream as `traceparent`.
 */
function withRequestTrace(call: RouterCall): RouterCall {
  if (call.traceId !== '') return call;
  const made = newRequestTrace();
  return { ...call, traceId: made.traceId, traceparent: made.traceparent, traceHeaders: made.headers };
}

/** Model metadata as the OIP reports it. */
export interface RouterModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
  /**
   * The answering version's string parameters (`source_uri`, `lineage.*`) when the router
   * passes a model's metadata through; a graph has none.
   */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** Upstream model lookups the data plane needs for pass-through and graph metadata. */
export interface ModelDirectory {
  modelReady(target: ModelTarget, options: CallOptions): Promise<boolean>;
  modelMetadata(target: ModelTarget, options: CallOptions): Promise<RouterModelMetadata>;
}

/** Settings of the data plane. */
export interface RouterDataPlaneOptions {
  readonly graphs: GraphRegistry;
  readonly executor: GraphExecutor;
  readonly events: RequestEventLog;
  readonly directory: ModelDirectory;
  /** Budget of a request whose client set no deadline and whose graph sets no timeout, in ms. */
  readonly defaultTimeoutMs: number;
  /** Address of the default model-server; pass-through goes there. */
  readonly defaultModelAddress: string;
  /** Whether a name that is no graph is passed through to the default model-server. */
  readonly passThrough: boolean;
  readonly identity: {
    readonly name: string;
    readonly version: string;
    readonly extensions: readonly string[];
  };
  readonly isReady: () => boolean;
  /** Receives each request's graph name, status code and duration in seconds (metrics). */
  readonly observeRequest?: (graph: string, code: string, seconds: number) => void;
  /**
   * Longest request `id` taken, in characters (default {@link DEFAULT_MAX_REQUEST_ID_LENGTH}):
   * the id is echoed on the answer and stored in every event of the request.
   */
  readonly maxRequestIdLength?: number;
  /** Looks up the lineage of the model version each event names; absent: events carry none. */
  readonly lineage?: { lookup(target: ModelTarget): () => Readonly<Record<string, string>> | undefined };
  readonly now?: () => number;
}

const PASS_THROUGH_NODE = 'model';
/**
 * The graph name of every pass-through run, so node metrics, spans and circuit breakers of
 * pass-through are keyed by the upstream address and not by names callers make up.
 */
export const PASS_THROUGH_GRAPH = '';

function passThroughKey(name: string, version: string): string {
  return `${name}\u0000${version}`;
}

/** The router's inference data plane. */
export class RouterDataPlane {
  private readonly passThroughGraphs = new Map<string, CompiledGraph>();
  private readonly now: () => number;

  constructor(private readonly options: RouterDataPlaneOptions) {
    this.now = options.now ?? Date.now;
  }

  live(): boolean {
    return true;
  }

  ready(): boolean {
    return this.options.isReady();
  }

  serverMetadata(): { name: string; version: string; extensions: readonly string[] } {
    return { ...this.options.identity };
  }

  /**
   * The one-node graph that calls `name` on the default model-server. Only graphs of models
   * that answered are kept (see {@link rememberPassThrough}), so made-up names cost nothing
   * after their call.
   */
  private passThroughGraph(name: string, version: string): CompiledGraph | undefined {
    if (!this.options.passThrough || this.options.defaultModelAddress === '' || name === '') return undefined;
    if (name.length > ROUTED_NAME_MAX_LENGTH || version.length > ROUTED_NAME_MAX_LENGTH) return undefined;
    return (
      this.passThroughGraphs.get(passThroughKey(name, version)) ??
      compileGraph({
        name: PASS_THROUGH_GRAPH,
        description: 'pass-through to the default model-server',
        root: PASS_THROUGH_NODE,
        timeoutMs: 0,
        defaults: {},
        labels: {},
        nodes: [
          {
            name: PASS_THROUGH_NODE,
            policy: {},
            body: {
              kind: 'model',
              address: '',
              modelName: name,
              modelVersion: version,
              outputs: [],
              parameters: {},
              declaredInputs: [],
              declaredOutputs: [],
            },
          },
        ],
      })
    );
  }

  /** Keeps the pass-through graph of a model that answered: bounded by the models served. */
  private rememberPassThrough(name: string, version: string, graph: CompiledGraph): void {
    this.passThroughGraphs.set(passThroughKey(name, version), graph);
  }

  /**
   * The `graph` label of a request's metrics: the graph's name, or for pass-through the
   * model's name once it answered; otherwise empty, so names that are neither a graph nor
   * a served model (NOT_FOUND, or a down model-server) never become label values.
   */
  private metricLabel(name: string, code: string): string {
    // OK for a name that is no graph means the default model-server served it.
    return code === 'OK' || this.options.graphs.find(name) ? name : PASS_THROUGH_GRAPH;
  }

  /**
   * The graph a request names: a stored graph, else the pass-through graph of a model on the
   * default model-server (when pass-through is on).
   *
   * @throws InvalidArgumentError for an empty name or one (or a version) longer than
   * {@link ROUTED_NAME_MAX_LENGTH}; NotFoundError when it names neither.
   */
  resolve(name: string, version: string): { graph: CompiledGraph; generation: string; passThrough: boolean } {
    if (name === '') throw new InvalidArgumentError('model_name: must name a graph or a model');
    if (name.length > ROUTED_NAME_MAX_LENGTH || version.length > ROUTED_NAME_MAX_LENGTH) {
      const [field, value] =
        name.length > ROUTED_NAME_MAX_LENGTH ? ['model_name', name] : ['model_version', version];
      throw new InvalidArgumentError(
        `${field} ${quoteName(value)}: longer than any graph or model name; at most ${ROUTED_NAME_MAX_LENGTH} characters`,
      );
    }
    const stored = this.options.graphs.find(name);
    if (stored) return { graph: stored.compiled, generation: String(stored.generation), passThrough: false };
    const graph = this.passThroughGraph(name, version);
    if (graph) return { graph, generation: version, passThrough: true };
    throw new NotFoundError(`graph ${quoteName(name)} not found`);
  }

  /**
   * A pass-through call's error as the router answers it: the model-server's NOT_FOUND
   * becomes the router's sentence (the name is neither a graph nor a model there), the same
   * on ModelInfer and ModelMetadata; other errors as they are.
   */
  private passThroughError(name: string, error: unknown): unknown {
    if (errorCode(error) !== 'NOT_FOUND') return error;
    return new NotFoundError(
      `graph ${quoteName(name)} not found, and the default model-server at ${this.options.defaultModelAddress} has no such model: ${(error as Error).message}`,
      { cause: error },
    );
  }

  /** Runs the named graph on the request. */
  infer(request: RoutedRequest, call: RouterCall): Promise<RouterInferResponse> {
    return this.observed(request.modelName, () => this.run(request, call));
  }

  /**
   * `error`, raised while reading a request before {@link infer} could run (malformed
   * bytes, a bad parameter or tensor header), with the request's trace id as its trailer,
   * as infer's own errors carry it (made for a call that has none, as infer makes one).
   */
  refused(error: unknown, call: RouterCall): unknown {
    return withTraceIdTrailer(error, withRequestTrace(call).traceId);
  }

  /** Runs `work` under the request's metric. */
  private async observed<T>(name: string, work: () => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    let code = 'OK';
    try {
      return await work();
    } catch (error) {
      code = errorCode(error);
      throw error;
    } finally {
      this.options.observeRequest?.(
        this.metricLabel(name, code),
        code,
        Number(process.hrtime.bigint() - t0) / 1e9,
      );
    }
  }

  private async run(request: RoutedRequest, call: RouterCall): Promise<RouterInferResponse> {
    const maxIdLength = this.options.maxRequestIdLength ?? DEFAULT_MAX_REQUEST_ID_LENGTH;
    if (request.id.length > maxIdLength) {
      // Refused before anything stores it: the id would be echoed and written to every event.
      throw this.refused(
        new InvalidArgumentError(
          `id: ${request.id.length} characters; at most ${maxIdLength} (the router's --max-request-id-length)`,
        ),
        call,
      );
    }
    const started = this.now();
    const requestId = request.id || randomUUID();
    // One trace id per request on its answer, error, events and upstream calls (issue 8, defect 11).
    call = withRequestTrace(call);
    let trail: RunTrail | undefined;
    let graphName = request.modelName;
    try {
      const { graph, generation, passThrough } = this.resolve(request.modelName, request.modelVersion);
      graphName = passThrough ? '' : graph.spec.name;
      const budgetMs = graph.spec.timeoutMs || this.options.defaultTimeoutMs;
      const deadlineMs = call.deadlineMs ?? started + budgetMs;
      let result: Awaited<ReturnType<GraphExecutor['run']>>;
      try {
        result = await this.options.executor.run({
          graph,
          requestId,
          request,
          headers: call.headers,
          deadlineMs,
          cancellation: call.cancellation,
          traceHeaders: call.traceHeaders,
          traceparent: call.traceparent,
        });
      } catch (error) {
        throw passThrough ? this.passThroughError(request.modelName, error) : error;
      }
      trail = result.trail;
      if (passThrough) this.rememberPassThrough(request.modelName, request.modelVersion, graph);
      const wanted = request.outputs;
      const produced = result.payload.tensors;
      const tensors = wanted.length === 0 ? produced : produced.filter((t) => wanted.includes(t.name));
      const missing = wanted.filter((n) => !tensors.some((t) => t.name === n));
      if (missing.length > 0) {
        throw new InvalidArgumentError(
          `requested output ${quoteName(missing[0]!)} is not produced by graph ${quoteName(request.modelName)}; it produces ${produced.map((t) => quoteName(t.name)).join(', ')}`,
        );
      }
      const parameters: ParameterRecord = {
        ...trail.responseParameters,
        [PATH_PARAMETER]: trail.path.join(','),
      };
      if (call.traceId !== '') parameters[TRACE_ID_PARAMETER] = call.traceId;
      if (trail.skipped.length > 0) parameters[SKIPPED_PARAMETER] = trail.skipped.join(',');
      const response: RouterInferResponse = {
        modelName: passThrough ? (trail.lastModel?.name ?? request.modelName) : graph.spec.name,
        modelVersion: passThrough ? (trail.lastModel?.version ?? '') : generation,
        // The id the request carried, or the one assigned to it: the id its event is logged
        // under, which ground truth sent to the metrics service later must name.
        id: requestId,
        tensors,
        parameters,
        // The upstream's bytes are this answer only when no output was selected out of them.
        encoded: tensors === produced ? result.payload.encoded : undefined,
      };
      if (this.options.events.enabled) {
        this.recordRequest(request, call, {
          requestId,
          graph: graphName,
          started,
          trail,
          nodePath: passThrough ? [] : trail.path,
          outputs: tensors,
          responseParameters: parameters,
          statusCode: 'OK',
        });
      }
      return response;
    } catch (error) {
      if (this.options.events.enabled) {
        this.recordRequest(request, call, {
          requestId,
          graph: graphName,
          started,
          trail,
          nodePath: trail?.path ?? [],
          outputs: [],
          responseParameters: {},
          statusCode: errorCode(error),
          errorMessage: isSightlineError(error) ? error.message : 'internal error',
        });
      }
      throw withTraceIdTrailer(error, call.traceId);
    }
  }

  /**
   * Queues the event of a finished request. References only: the pipeline builds the event
   * when it drains (see RequestEventLog), after the answer is on its way.
   */
  private recordRequest(
    request: RoutedRequest,
    call: RouterCall,
    outcome: {
      readonly requestId: string;
      readonly graph: string;
      /** When the request started, epoch ms. */
      readonly started: number;
      readonly trail: RunTrail | undefined;
      readonly nodePath: readonly string[];
      readonly outputs: RouterInferResponse['tensors'];
      readonly responseParameters: ParameterRecord;
      readonly statusCode: string;
      readonly errorMessage?: string;
    },
  ): void {
    const now = this.now();
    const { trail } = outcome;
    this.options.events.record({
      requestId: outcome.requestId,
      timeUnixMs: now,
      graph: outcome.graph,
      nodePath: outcome.nodePath,
      modelName: trail?.lastModel?.name ?? '',
      modelVersion: trail?.lastModel?.version ?? '',
      modelLineage: this.lineageOf(trail?.lastModel),
      inputs: request.tensors,
      outputs: outcome.outputs,
      requestParameters: request.parameters,
      responseParameters: outcome.responseParameters,
      totalMs: now - outcome.started,
      modelMs: trail?.modelMs ?? 0,
      nodeMs: trail?.nodeMs ?? {},
      statusCode: outcome.statusCode,
      ...(outcome.errorMessage !== undefined && { errorMessage: outcome.errorMessage }),
      traceparent: call.traceparent,
    });
  }

  /** The lineage reader of the model that answered (none without a cache or an address). */
  private lineageOf(
    model: { readonly name: string; readonly version: string; readonly address?: string } | undefined,
  ): (() => Readonly<Record<string, string>> | undefined) | undefined {
    if (this.options.lineage === undefined || model?.address === undefined) return undefined;
    return this.options.lineage.lookup({
      address: model.address,
      modelName: model.name,
      modelVersion: model.version,
    });
  }

  /** Logs a shadow mirror's answer as its own event (same request id, the mirror's path). */
  recordMirror(result: MirrorResult): void {
    if (!this.options.events.enabled) return;
    this.options.events.record({
      requestId: result.requestId,
      timeUnixMs: this.now(),
      graph: result.graph,
      nodePath: [result.shadowNode, ...result.path],
      modelName: result.model?.name ?? '',
      modelVersion: result.model?.version ?? '',
      modelLineage: this.lineageOf(result.model),
      inputs: result.input.tensors,
      outputs: result.output?.tensors ?? [],
      requestParameters: result.input.parameters,
      responseParameters: { 'sightline.shadow': true },
      totalMs: result.totalMs,
      modelMs: 0,
      nodeMs: {},
      statusCode: result.code,
      ...(result.errorMessage !== undefined ? { errorMessage: result.errorMessage } : {}),
      traceparent: result.traceparent,
    });
  }

  /** Whether the graph (or passed-through model) is ready. */
  async modelReady(name: string, version: string, call: Pick<RouterCall, 'cancellation'>): Promise<boolean> {
    if (this.options.graphs.find(name)) return true;
    if (!this.passThroughGraph(name, version)) return false;
    return this.options.directory
      .modelReady(
        { address: this.options.defaultModelAddress, modelName: name, modelVersion: version },
        { deadlineMs: this.now() + this.options.defaultTimeoutMs, cancellation: call.cancellation },
      )
      .catch(() => false);
  }

  /**
   * A graph's metadata: its declared inputs and outputs, else those of the first upstream
   * model that answers (graph-metadata.ts), under the graph's name.
   */
  async modelMetadata(
    name: string,
    version: string,
    call: Pick<RouterCall, 'cancellation'>,
  ): Promise<RouterModelMetadata> {
    const { graph, generation, passThrough } = this.resolve(name, version);
    const options = {
      deadlineMs: this.now() + this.options.defaultTimeoutMs,
      cancellation: call.cancellation,
    };
    if (passThrough) {
      return this.options.directory
        .modelMetadata(
          { address: this.options.defaultModelAddress, modelName: name, modelVersion: version },
          options,
        )
        .catch((error: unknown) => {
          throw this.passThroughError(name, error);
        });
    }
    const lookup = (target: ModelTarget) => this.options.directory.modelMetadata(target, options);
    const address = this.options.defaultModelAddress;
    const inputs = graph.inputs ?? (await upstreamSignature(graph, 'entry', address, lookup));
    const outputs = graph.outputs ?? (await upstreamSignature(graph, 'exit', address, lookup));
    return {
      name: graph.spec.name,
      versions: [generation],
      platform: GRAPH_PLATFORM,
      inputs: inputs ?? [],
      outputs: outputs ?? [],
    };
  }
}
