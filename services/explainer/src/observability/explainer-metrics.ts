/**
 * The explainer's Prometheus series (`sightline_explainer_*`), on the registry the
 * composition root built: explanations by method and outcome with their duration, the
 * ModelInfer calls made to targets with their rows and duration, and the explanation jobs
 * running, queued and refused.
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

/** What the gauges read at each scrape. */
export interface ExplainerMetricSources {
  readonly cachedExplanations: () => number;
  /** Jobs running and queued now (zero before the job table exists). */
  readonly jobs: () => { readonly running: number; readonly queued: number };
}

/** All of the explainer's own metrics. */
export class ExplainerMetrics implements ExplainObserver {
  private readonly explanations: Counter<'method' | 'outcome'>;
  private readonly duration: Histogram<'method'>;
  private readonly modelCalls: Counter<'outcome'>;
  private readonly modelRows: Counter;
  private readonly modelCallDuration: Histogram;
  private readonly eventsDropped: Counter<'reason'>;
  private readonly jobsRefused: Counter<'reason'>;

  constructor(registry: Registry, sources: ExplainerMetricSources) {
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
    this.jobsRefused = new Counter({
      name: 'sightline_explainer_jobs_refused_total',
      help: 'Explanation jobs refused with RESOURCE_EXHAUSTED, by reason (queue_full: --max-queued-explanations waiting).',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'sightline_explainer_jobs',
      help: 'Explanation jobs now, by state: running (at most --max-running-explanations) or queued (at most --max-queued-explanations).',
      labelNames: ['state'],
      registers,
      collect() {
        const jobs = sources.jobs();
        this.set({ state: 'running' }, jobs.running);
        this.set({ state: 'queued' }, jobs.queued);
      },
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

  jobRefused(reason: 'queue_full'): void {
    this.jobsRefused.inc({ reason });
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
