/**
 * The trace store as a process: read settings from flags and environment, serve, and shut
 * down in order on SIGTERM/SIGINT. The CLI (`sightline serve trace-store`) ends up here.
 * OTEL_* variables are not read: the store records no spans of its own (see
 * trace-store-service.ts).
 */
import { createLogger, handleSignals, loadConfig } from '@sightline/service-kit';
import { type TraceStoreConfig, traceStoreConfigSchema } from './config.js';
import { startTraceStore, type TraceStoreHandle } from './trace-store-service.js';

/** Starts the trace store from flags (by camelCase key) and the environment; exits on signals. */
export async function runTraceStore(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TraceStoreHandle> {
  const config: TraceStoreConfig = loadConfig(traceStoreConfigSchema, { flags, env });
  const logger = createLogger({ service: 'trace-store', level: config.logLevel });
  const service = await startTraceStore(config, { logger });
  handleSignals(service, logger);
  return service;
}
