/**
 * The metrics service as a process: read settings from flags and environment, start tracing,
 * serve, and shut down in order on SIGTERM/SIGINT. The CLI (`sightline serve metrics`) ends up
 * here.
 */
import { createLogger, handleSignals, loadConfig } from '@sightline/service-kit';
import { createTracing } from '@sightline/telemetry';
import { type MetricsConfig, metricsConfigSchema } from './config.js';
import { type MetricsHandle, startMetrics } from './metrics.js';

/** Starts the metrics service from flags (by camelCase key) and the environment; exits on signals. */
export async function runMetrics(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MetricsHandle> {
  const config: MetricsConfig = loadConfig(metricsConfigSchema, { flags, env });
  const logger = createLogger({ service: 'metrics', level: config.logLevel });
  const tracing = createTracing({ serviceName: 'sightline-metrics', env });
  const service = await startMetrics(config, { logger, tracing });
  handleSignals(service, logger);
  return service;
}
