/**
 * The router's Prometheus metrics, per graph and node: latency histograms, errors by
 * status code, retries, circuit-breaker state, work dropped off the answer's path, and the
 * event pipeline's per-sink counters. Registered on the registry main builds.
 *
 * The per-request series (request and node durations, event counters) are telemetry's
 * fast metrics: prom-client would validate and hash the label set on every observation;
 * here each label set resolves once to a child kept in a map, and the exposition is the same.
 */
import type { PipelineCounterName, PipelineMetricsRecorder, SinkLaneStats } from '@sightline/events';
import {
  FastCounter,
  type FastCounterChild,
  FastHistogram,
  type FastHistogramChild,
  LATENCY_BUCKETS_SECONDS,
} from '@sightline/telemetry';
import { Counter, Gauge, type Registry } from 'prom-client';
import { BREAKER_STATE_VALUE, type BreakerState, type ExecutionObserver } from '../engine/ports.js';

/** All of the router's metrics. */
export class RouterMetrics implements ExecutionObserver, PipelineMetricsRecorder {
  private readonly requestSeconds: FastHistogram;
  private readonly nodeSeconds: FastHistogram;
  private readonly requestChildren = new Map<string, FastHistogramChild>();
  private readonly nodeChildren = new Map<string, FastHistogramChild>();
  private readonly eventChildren = new Map<string, FastCounterChild>();
  private readonly nodeErrors: Counter<'graph' | 'node' | 'kind' | 'code'>;
  private readonly retries: Counter<'graph' | 'node' | 'code'>;
  private readonly breakerState: Gauge<'graph' | 'node' | 'address'>;
  private readonly breakerTransitions: Counter<'graph' | 'node' | 'address' | 'state'>;
  private readonly offPathDroppedTotal: Counter<'graph' | 'node'>;
  private readonly events: FastCounter;
  private readonly coalescedCalls: FastHistogram;
  private readonly coalescedChildren = new Map<string, FastHistogramChild>();
  /**
   * Per graph, how to remove each series it has (by a key unique per series), with the
   * node it belongs to (undefined: the graph's own), so a deleted graph or node stops being
   * exported.
   */
  private readonly seriesOfGraph = new Map<string, Map<string, { node?: string; remove: () => void }>>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.requestSeconds = new FastHistogram({
      name: 'sightline_router_request_duration_seconds',
      help: 'Time to answer one ModelInfer through a graph, in seconds, by graph and status code.',
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.nodeSeconds = new FastHistogram({
      name: 'sightline_router_node_duration_seconds',
      help: 'Time spent in one graph node (retries and children included), in seconds.',
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.nodeErrors = new Counter({
      name: 'sightline_router_node_errors_total',
      help: 'Graph node failures by status code (soft nodes that were skipped included).',
      labelNames: ['graph', 'node', 'kind', 'code'],
      registers,
    });
    this.retries = new Counter({
      name: 'sightline_router_node_retries_total',
      help: 'Upstream calls retried, by the status code that caused the retry.',
      labelNames: ['graph', 'node', 'code'],
      registers,
    });
    this.breakerState = new Gauge({
      name: 'sightline_router_circuit_breaker_state',
      help: 'Circuit breaker state per node and upstream address: 0 closed, 1 half-open, 2 open.',
      labelNames: ['graph', 'node', 'address'],
      registers,
    });
    this.breakerTransitions = new Counter({
      name: 'sightline_router_circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes, by the state entered.',
      labelNames: ['graph', 'node', 'address', 'state'],
      registers,
    });
    this.offPathDroppedTotal = new Counter({
      name: 'sightline_router_off_path_dropped_total',
      help: 'Shadow mirror and asynchronous detector calls dropped because too many were in flight.',
      labelNames: ['graph', 'node'],
      registers,
    });
    this.coalescedCalls = new FastHistogram({
      name: 'sightline_router_detector_coalesced_calls',
      help: 'Detector-node calls carried by one outlier Predict, by detector (1: sent alone; --detector-coalesce-max-calls).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.events = new FastCounter({
      name: 'sightline_router_events_total',
      help: 'InferenceEvents per sink: emitted, delivered, spilled, replayed, dropped, rejected.',
      registers,
    });
    const metrics = this;
    // The pipeline's backlog per sink, read from its lanes at each scrape (each name written
    // out: deploy/test reads the metric names from this source).
    new Gauge({
      name: 'sightline_router_event_queue_depth',
      help: "Events waiting in a sink's memory queue (at most --event-queue-capacity).",
      labelNames: ['sink'],
      registers,
      collect() {
        metrics.setPerLane(this, (lane) => lane.queueDepth);
      },
    });
    new Gauge({
      name: 'sightline_router_event_spill_bytes',
      help: "Bytes of events waiting in a sink's spill directory for replay (past the spill limit, events are dropped).",
      labelNames: ['sink'],
      registers,
      collect() {
        metrics.setPerLane(this, (lane) => lane.spillBytes);
      },
    });
    new Gauge({
      name: 'sightline_router_event_spilling',
      help: 'Whether new events of a sink go through its spill directory (1: its receiver is away or slow) or straight to it (0).',
      labelNames: ['sink'],
      registers,
      collect() {
        metrics.setPerLane(this, (lane) => (lane.mode === 'spilling' ? 1 : 0));
      },
    });
    new Gauge({
      name: 'sightline_router_event_tails_open',
      help: 'EventService TailEvents streams open now (at most --max-event-tails).',
      registers,
      collect() {
        this.set(metrics.openEventTails());
      },
    });
  }

  /** One outlier Predict sent for `calls` detector-node calls of `detector` (outlier-call-coalescer.ts). */
  detectorPredictSent(detector: string, calls: number): void {
    let child = this.coalescedChildren.get(detector);
    if (!child) {
      child = this.coalescedCalls.child({ detector });
      this.coalescedChildren.set(detector, child);
    }
    child.observe(calls);
  }

  /** Read at each scrape: the open TailEvents streams (set once the event history exists). */
  openEventTails: () => number = () => 0;

  /** Read at each scrape: each sink lane's queue and spill (set once the event pipeline exists). */
  eventLanes: () => Readonly<Record<string, SinkLaneStats>> = () => ({});

  /**
   * Sets `gauge` per sink to `read` of its lane; reset first, so a sink of a pipeline that
   * closed leaves no stale series.
   */
  private setPerLane(gauge: Gauge<'sink'>, read: (lane: SinkLaneStats) => number): void {
    gauge.reset();
    for (const [sink, lane] of Object.entries(this.eventLanes())) gauge.set({ sink }, read(lane));
  }

  /** One request answered (or failed) through a graph. */
  requestFinished(graph: string, code: string, seconds: number): void {
    const key = `${graph}\u0000${code}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      const labels = { graph, code };
      child = this.requestSeconds.child(labels);
      this.requestChildren.set(key, child);
      this.track(graph, `request\u0000${key}`, undefined, () => {
        this.requestSeconds.remove(labels);
        this.requestChildren.delete(key);
      });
    }
    child.observe(seconds);
  }

  nodeFinished(graph: string, node: string, kind: string, code: string, seconds: number): void {
    const key = `${graph}\u0000${node}\u0000${kind}`;
    let child = this.nodeChildren.get(key);
    if (!child) {
      const labels = { graph, node, kind };
      child = this.nodeSeconds.child(labels);
      this.nodeChildren.set(key, child);
      this.track(graph, `node\u0000${key}`, node, () => {
        this.nodeSeconds.remove(labels);
        this.nodeChildren.delete(key);
      });
    }
    child.observe(seconds);
    if (code !== 'OK') this.incTracked(this.nodeErrors, 'errors', { graph, node, kind, code });
  }

  retried(graph: string, node: string, code: string): void {
    this.incTracked(this.retries, 'retries', { graph, node, code });
  }

  breakerChanged(graph: string, node: string, address: string, state: BreakerState): void {
    const labels = { graph, node, address };
    this.breakerState.set(labels, BREAKER_STATE_VALUE[state]);
    this.track(graph, `breaker\u0000${JSON.stringify(labels)}`, node, () => this.breakerState.remove(labels));
    this.incTracked(this.breakerTransitions, 'transitions', { graph, node, address, state });
  }

  offPathDropped(graph: string, node: string): void {
    this.incTracked(this.offPathDroppedTotal, 'dropped', { graph, node });
  }

  /**
   * Stops exporting `graph`'s series: all of them (it was deleted), or only those of nodes
   * not in `keptNodes` (it was applied again without them).
   */
  forgetGraph(graph: string, keptNodes?: ReadonlySet<string>): void {
    const series = this.seriesOfGraph.get(graph);
    if (!series) return;
    for (const [key, { node, remove }] of series) {
      if (keptNodes && (node === undefined || keptNodes.has(node))) continue;
      remove();
      series.delete(key);
    }
    if (series.size === 0) this.seriesOfGraph.delete(graph);
  }

  private incTracked<L extends string>(
    counter: Counter<L>,
    what: string,
    labels: Record<L, string> & { graph: string; node: string },
  ): void {
    counter.inc(labels);
    this.track(labels.graph, `${what}\u0000${JSON.stringify(labels)}`, labels.node, () =>
      counter.remove(labels),
    );
  }

  private track(graph: string, key: string, node: string | undefined, remove: () => void): void {
    let series = this.seriesOfGraph.get(graph);
    if (!series) {
      series = new Map();
      this.seriesOfGraph.set(graph, series);
    }
    if (!series.has(key)) series.set(key, node === undefined ? { remove } : { node, remove });
  }

  increment(sink: string, counter: PipelineCounterName, by: number): void {
    const key = `${sink}\u0000${counter}`;
    let child = this.eventChildren.get(key);
    if (!child) {
      child = this.events.child({ sink, counter });
      this.eventChildren.set(key, child);
    }
    child.inc(by);
  }
}
