/**
 * The explainer as a process: read settings from flags and environment, start tracing,
 * serve, and shut down in order on SIGTERM/SIGINT. The CLI (`sightline serve explainer`)
 * ends up here.
 */
import { createLogger, handleSignals, loadConfig } from '@sightline/service-kit';
import { createTracing } from '@sightline/telemetry';
import { type ExplainerConfig, explainerConfigSchema } from './config.js';
import { type ExplainerHandle, startExplainer } from './explainer.js';

/** Starts the explainer from flags (by camelCase key) and the environment; exits on signals. */
export async function runExplainer(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExplainerHandle> {
  const config: ExplainerConfig = loadConfig(explainerConfigSchema, { flags, env });
  const logger = createLogger({ service: 'explainer', level: config.logLevel });
  const tracing = createTracing({ serviceName: 'sightline-explainer', env });
  const service = await startExplainer(config, { logger, tracing });
  handleSignals(service, logger);
  return service;
}
