/**
 * The model-server as a process: read settings from flags and environment, start tracing,
 * serve, and shut down in order on SIGTERM/SIGINT. The CLI (`sightline serve
 * model-server`) and `node dist/main.js` both end up here.
 */
import { createLogger, handleSignals, loadConfig } from '@sightline/service-kit';
import { createTracing } from '@sightline/telemetry';
import { type ModelServerConfig, modelServerConfigSchema } from './config.js';
import { type ModelServerHandle, startModelServer } from './model-server.js';

/** Starts the model-server from flags (by camelCase key) and the environment; exits on signals. */
export async function runModelServer(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ModelServerHandle> {
  const config: ModelServerConfig = loadConfig(modelServerConfigSchema, { flags, env });
  const logger = createLogger({ service: 'model-server', level: config.logLevel });
  // A leaf service: it forwards no trace context, so the async context (promise hooks on
  // every promise) is only worth its cost when spans are recorded.
  const tracing = createTracing({
    serviceName: 'sightline-model-server',
    env,
    contextPropagation: 'when-tracing',
  });
  const service = await startModelServer(config, { logger, tracing });
  handleSignals(service, logger);
  return service;
}
