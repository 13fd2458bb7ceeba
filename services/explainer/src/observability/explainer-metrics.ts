/**
 * The explainer's Prometheus series (`sightline_explainer_*`), on the registry the
 * composition root built: explanations by method and outcome with their duration, and the
 * ModelInfer calls made to targets with their rows and duration.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ExplainObserver } from '../data-plane/explainer-data-plane.js';

/** Buckets of an explanation's duration, in seconds: a cached answer (ms) to a long job (minutes). */
export const EXPLANATION_SECONDS_BUCKETS = [
  0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600,
] as const;
/** Buckets of one model call's duration, in seconds. */
export const MODEL_CALL_SECONDS_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
] as const;

/** All of the explainer's own metrics. */
export class ExplainerMetrics implements ExplainObserver {
  private readonly explanations: Counter<'method' | 'outcome'>;
  private readonly duration: Histogram<'method'>;
  private readonly modelCalls: Counter<'outcome'>;
  private readonly modelRows: Counter;
  private readonly modelCallDuration: Histogram;
  private readonly eventsDropped: Counter<'reason'>;

  constructor(registry: Registry, sources: { readonly cachedExplanations: () => number }) {
    const registers = [registry];
    this.explanations = new Counter({
      name: 'sightline_explainer_explanations_total',
      help: 'Explanations answered, by method and outcome (complete, partial, cache_hit, error).',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'sightline_explainer_explanation_duration_seconds',
      help: 'Time to answer an explanation, by method, in seconds.',
      labelNames: ['method'],
      buckets: [...EXPLANATION_SECONDS_BUCKETS],
      registers,
    });
    this.modelCalls = new Counter({
      name: 'sightline_explainer_model_calls_total',
      help: 'ModelInfer calls made to targets, by outcome (ok, error).',
      labelNames: ['outcome'],
      registers,
    });
    this.modelRows = new Counter({
      name: 'sightline_explainer_model_rows_total',
      help: 'Perturbed rows sent to targets.',
      registers,
    });
    this.modelCallDuration = new Histogram({
      name: 'sightline_explainer_model_call_duration_seconds',
      help: 'Duration of one ModelInfer call to a target, in seconds.',
      buckets: [...MODEL_CALL_SECONDS_BUCKETS],
      registers,
    });
    this.eventsDropped = new Counter({
      name: 'sightline_explainer_events_dropped_total',
      help: 'ExplanationEvents not delivered to --events-sink, by reason (queue_full, failed).',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'sightline_explainer_cached_explanations',
      help: 'Complete explanations held in the result cache.',
      registers,
      collect() {
        this.set(sources.cachedExplanations());
      },
    });
  }

  modelCall(outcome: 'ok' | 'error', rows: number, seconds: number): void {
    this.modelCalls.inc({ outcome });
    this.modelRows.inc(rows);
    this.modelCallDuration.observe(seconds);
  }

  eventDropped(reason: 'queue_full' | 'failed'): void {
    this.eventsDropped.inc({ reason });
  }

  explanation(
    method: string,
    outcome: 'complete' | 'partial' | 'cache_hit' | 'error',
    seconds: number,
  ): void {
    this.explanations.inc({ method, outcome });
    this.duration.observe({ method }, seconds);
  }
}
