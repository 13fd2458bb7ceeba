/**
 * The SDK's entry point: options resolved once, one channel per address, and a typed
 * sub-client per service as a property. A new service's client is one more property
 * built from `this.caller` and `this.options.addressOf('<service>')`.
 */
import { Caller } from './core/caller.js';
import { ChannelPool } from './core/channel-pool.js';
import { type ResolvedOptions, resolveOptions, type SightlineOptions } from './core/options.js';
import { DriftClient } from './drift/drift-client.js';
import { EventsClient } from './events/events-client.js';
import { ExplainerClient } from './explainer/explainer-client.js';
import { GraphsClient } from './graphs/graphs-client.js';
import { InferenceClient } from './inference/inference-client.js';
import { MetricsClient } from './metrics/metrics-client.js';
import { ModelsClient } from './models/models-client.js';
import { OutlierClient } from './outlier/outlier-client.js';
import { TracesClient } from './traces/traces-client.js';

/**
 * A client of a Sightline deployment.
 *
 * @example
 * ```ts
 * const sightline = new Sightline(); // the local stack: router 127.0.0.1:8000, model-server 127.0.0.1:8001
 * const result = await sightline.inference.infer('iris', { input: [[5.1, 3.5, 1.4, 0.2]] });
 * console.log(result.output('probabilities').toNested(), result.traceId);
 * sightline.close();
 * ```
 */
export class Sightline {
  /** The options, resolved and frozen. */
  readonly options: ResolvedOptions;
  /** The call path every sub-client shares (channels, metadata, deadlines, retries). */
  readonly caller: Caller;
  /** V2 inference on the router: graphs, and models it passes through. */
  readonly inference: InferenceClient;
  /** The model-server's repository (index, load, unload) and statistics. */
  readonly models: ModelsClient;
  /** The router's graphs (apply, get, list, delete, validate). */
  readonly graphs: GraphsClient;
  /** The events the router stored: query a time range, tail and follow new ones. */
  readonly events: EventsClient;
  /** The trace store's traces (list, get): trace inspection with no Jaeger. */
  readonly traces: TracesClient;
  /** The drift service's detectors: create, fit, score, predict, history, attach, manage. */
  readonly drift: DriftClient;
  /** The outlier service's detectors: create, fit (with progress), score, predict, history, attach, events. */
  readonly outlier: OutlierClient;
  /** The metrics service: feedback, windowed metrics, compute, concept drift, comparison, annotation, alerts. */
  readonly metrics: MetricsClient;
  /** The explainer: explanations of predictions (Kernel SHAP, Anchors, ...), synchronous or as jobs with progress. */
  readonly explainer: ExplainerClient;
  private readonly pool: ChannelPool;

  /**
   * @throws InvalidArgumentError naming an option that breaks its rule.
   */
  constructor(options: SightlineOptions = {}) {
    this.options = resolveOptions(options);
    this.pool = new ChannelPool(this.options);
    this.caller = new Caller(this.pool, this.options);
    this.inference = new InferenceClient(this.caller, this.options.addressOf('router'));
    this.models = new ModelsClient(this.caller, this.options.addressOf('modelServer'));
    this.graphs = new GraphsClient(this.caller, this.options.addressOf('router'));
    this.events = new EventsClient(this.caller, this.options.addressOf('router'));
    this.traces = new TracesClient(this.caller, this.options.addressOf('traces'));
    this.drift = new DriftClient(this.caller, this.options.addressOf('drift'));
    this.outlier = new OutlierClient(this.caller, this.options.addressOf('outlier'));
    this.metrics = new MetricsClient(this.caller, this.options.addressOf('metrics'));
    this.explainer = new ExplainerClient(this.caller, this.options.addressOf('explainer'));
  }

  /**
   * A V2 inference client on another address (a model-server directly, say), sharing this
   * client's channels, credentials and defaults.
   */
  inferenceAt(address: string): InferenceClient {
    return new InferenceClient(this.caller, address);
  }

  /** The addresses with an open channel. */
  openAddresses(): string[] {
    return this.pool.addresses();
  }

  /** Closes every channel; later calls fail with FailedPreconditionError. */
  close(): void {
    this.pool.close();
  }
}
