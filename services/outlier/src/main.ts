/**
 * The outlier service as a process: read settings from flags and environment, start
 * tracing, serve, and shut down in order on SIGTERM/SIGINT. The CLI (`sightline serve
 * outlier`) ends up here.
 */
import { createLogger, handleSignals, loadConfig } from '@sightline/service-kit';
import { createTracing } from '@sightline/telemetry';
import { type OutlierConfig, outlierConfigSchema } from './config.js';
import { type OutlierHandle, startOutlier } from './outlier.js';

/** Starts the outlier service from flags (by camelCase key) and the environment; exits on signals. */
export async function runOutlier(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OutlierHandle> {
  const config: OutlierConfig = loadConfig(outlierConfigSchema, { flags, env });
  const logger = createLogger({ service: 'outlier', level: config.logLevel });
  const tracing = createTracing({ serviceName: 'sightline-outlier', env });
  const service = await startOutlier(config, { logger, tracing });
  handleSignals(service, logger);
  return service;
}
