/**
 * Prometheus metrics per model and version, named after Triton's `nv_inference_*` family
 * so its dashboards translate one to one. Label children are resolved once per version,
 * and the per-request series are @sightline/telemetry's fast metrics: each request costs a
 * few additions, and prom-client reads the totals when scraped.
 *
 * Only versions that resolved get per-model series: a request for an unknown model is
 * counted by grpc_server_handled_total{grpc_code="NOT_FOUND"} instead, so callers cannot
 * grow the label set without bound.
 */
import {
  BATCH_SIZE_BUCKETS,
  FastCounter,
  FastHistogram,
  LATENCY_BUCKETS_SECONDS,
} from '@sightline/telemetry';
import { Counter, Gauge, type Registry } from 'prom-client';

/** A loaded version as the info and queue-depth gauges see it. */
export interface LoadedVersionView {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly backend: string;
  readonly device: string;
  readonly queueDepth: number;
}

type VersionLabels = 'model' | 'version';

/** The children of one version, resolved once. */
export interface VersionMetrics {
  success(rows: number, seconds: number, queueSeconds: number, computeSeconds: number): void;
  failure(code: string, seconds: number): void;
  execution(batchSize: number): void;
}

/** The model-server's inference metrics. */
export class ModelMetrics {
  private readonly successTotal: FastCounter;
  private readonly failureTotal: Counter<VersionLabels | 'code'>;
  private readonly inferenceCount: FastCounter;
  private readonly execCount: FastCounter;
  private readonly requestSeconds: FastHistogram;
  private readonly queueSeconds: FastHistogram;
  private readonly computeSeconds: FastHistogram;
  private readonly batchSize: FastHistogram;
  private readonly children = new Map<string, VersionMetrics>();

  constructor(registry: Registry, loadedVersions: () => Promise<readonly LoadedVersionView[]>) {
    const registers = [registry];
    const labelNames = ['model', 'version'] as const;
    this.successTotal = new FastCounter({
      name: 'sightline_inference_request_success_total',
      help: 'Inference requests that succeeded.',
      registers,
    });
    this.failureTotal = new Counter({
      name: 'sightline_inference_request_failure_total',
      help: 'Inference requests for a known model version that failed, by status code.',
      labelNames: [...labelNames, 'code'],
      registers,
    });
    this.inferenceCount = new FastCounter({
      name: 'sightline_inference_count_total',
      help: 'Rows inferred (a request of batch 8 counts 8).',
      registers,
    });
    this.execCount = new FastCounter({
      name: 'sightline_inference_exec_count_total',
      help: 'Model executions (one dynamic batch counts 1).',
      registers,
    });
    this.requestSeconds = new FastHistogram({
      name: 'sightline_inference_request_duration_seconds',
      help: 'Time from decoded request to encoded response, in seconds.',
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.queueSeconds = new FastHistogram({
      name: 'sightline_inference_queue_duration_seconds',
      help: 'Time a request waited in the batching queue, in seconds.',
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.computeSeconds = new FastHistogram({
      name: 'sightline_inference_compute_duration_seconds',
      help: 'Time of the execution that served a request (input assembly, model run, output split), in seconds.',
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.batchSize = new FastHistogram({
      name: 'sightline_inference_batch_size',
      help: 'Rows per model execution.',
      buckets: [...BATCH_SIZE_BUCKETS],
      registers,
    });
    new Gauge({
      name: 'sightline_model_info',
      help: 'Loaded model versions (value 1), with platform, runtime backend and device.',
      labelNames: ['model', 'version', 'platform', 'backend', 'device'],
      registers,
      async collect() {
        this.reset();
        for (const v of await loadedVersions()) {
          this.set(
            { model: v.name, version: v.version, platform: v.platform, backend: v.backend, device: v.device },
            1,
          );
        }
      },
    });
    new Gauge({
      name: 'sightline_inference_queue_depth',
      help: 'Requests waiting in the batching queue now.',
      labelNames,
      registers,
      async collect() {
        this.reset();
        for (const v of await loadedVersions()) this.set({ model: v.name, version: v.version }, v.queueDepth);
      },
    });
  }

  /** The metric children of one version. */
  forVersion(model: string, version: string): VersionMetrics {
    const key = `${model}\u0000${version}`;
    let child = this.children.get(key);
    if (!child) {
      const labels = { model, version };
      const success = this.successTotal.child(labels);
      const rowsCounter = this.inferenceCount.child(labels);
      const request = this.requestSeconds.child(labels);
      const queue = this.queueSeconds.child(labels);
      const compute = this.computeSeconds.child(labels);
      const exec = this.execCount.child(labels);
      const batch = this.batchSize.child(labels);
      child = {
        success: (rows, seconds, queueSeconds, computeSeconds) => {
          success.inc();
          rowsCounter.inc(rows);
          request.observe(seconds);
          queue.observe(queueSeconds);
          compute.observe(computeSeconds);
        },
        failure: (code, seconds) => {
          this.failureTotal.labels({ ...labels, code }).inc();
          request.observe(seconds);
        },
        execution: (size) => {
          exec.inc();
          batch.observe(size);
        },
      };
      this.children.set(key, child);
    }
    return child;
  }
}
