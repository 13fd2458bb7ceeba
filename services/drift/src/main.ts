/**
 * The drift service as a process: read settings from flags and environment, start tracing,
 * serve, and shut down in order on SIGTERM/SIGINT. The CLI (`sightline serve drift`) ends
 * up here.
 */
import { createLogger, handleSignals, loadConfig } from '@sightline/service-kit';
import { createTracing } from '@sightline/telemetry';
import { type DriftConfig, driftConfigSchema } from './config.js';
import { type DriftHandle, startDrift } from './drift.js';

/** Starts the drift service from flags (by camelCase key) and the environment; exits on signals. */
export async function runDrift(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DriftHandle> {
  const config: DriftConfig = loadConfig(driftConfigSchema, { flags, env });
  const logger = createLogger({ service: 'drift', level: config.logLevel });
  const tracing = createTracing({ serviceName: 'sightline-drift', env });
  const service = await startDrift(config, { logger, tracing });
  handleSignals(service, logger);
  return service;
}
