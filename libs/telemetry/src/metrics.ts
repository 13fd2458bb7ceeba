/**
 * Prometheus metrics with prom-client. Each service builds its own Registry in main and
 * passes it to whatever registers metrics: there is no global registry, so two services
 * (or two tests) in one process never collide.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Options for {@link createMetricsRegistry}. */
export interface MetricsRegistryOptions {
  /** Added as the `service` label on every metric. */
  readonly serviceName: string;
  /** Collect process and Node.js runtime metrics (CPU, memory, event loop lag). Default true. */
  readonly collectDefaults?: boolean;
}

/** Builds a registry for one service. */
export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.serviceName });
  if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Latency buckets in seconds, from 50 µs to 10 s: fine enough at the bottom for
 * sub-millisecond inference on small models, wide enough for explainers.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Batch-size buckets: powers of two up to 1024. */
export const BATCH_SIZE_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
