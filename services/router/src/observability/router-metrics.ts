/**
 * The router's Prometheus metrics, per graph and node: latency histograms, errors by
 * status code, retries, circuit-breaker state, work dropped off the answer's path, and the
 * event pipeline's per-sink counters. Registered on the registry main builds.
 *
 * The per-request series (request and node durations, event counters) are telemetry's
 * fast metrics: prom-client would validate and hash the label set on every observation;
 * here each label set resolves once to a child kept in a map, and the exposition is the same.
 */
import type { PipelineCounterName, PipelineMetricsRecorder } from '@sightline/events';
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
    this.events = new FastCounter({
      name: 'sightline_router_events_total',
      help: 'InferenceEvents per sink: emitted, delivered, spilled, replayed, dropped, rejected.',
      registers,
    });
  }

  /** One request answered (or failed) through a graph. */
  requestFinished(graph: string, code: string, seconds: number): void {
    const key = `${graph}\u0000${code}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      child = this.requestSeconds.child({ graph, code });
      this.requestChildren.set(key, child);
    }
    child.observe(seconds);
  }

  nodeFinished(graph: string, node: string, kind: string, code: string, seconds: number): void {
    const key = `${graph}\u0000${node}\u0000${kind}`;
    let child = this.nodeChildren.get(key);
    if (!child) {
      child = this.nodeSeconds.child({ graph, node, kind });
      this.nodeChildren.set(key, child);
    }
    child.observe(seconds);
    if (code !== 'OK') this.nodeErrors.inc({ graph, node, kind, code });
  }

  retried(graph: string, node: string, code: string): void {
    this.retries.inc({ graph, node, code });
  }

  breakerChanged(graph: string, node: string, address: string, state: BreakerState): void {
    this.breakerState.set({ graph, node, address }, BREAKER_STATE_VALUE[state]);
    this.breakerTransitions.inc({ graph, node, address, state });
  }

  offPathDropped(graph: string, node: string): void {
    this.offPathDroppedTotal.inc({ graph, node });
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
