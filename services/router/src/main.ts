/**
 * The router as a process: read settings from flags and environment, start tracing,
 * serve, and shut down in order on SIGTERM/SIGINT. The CLI (`sightline serve router`)
 * ends up here.
 */
import { createLogger, handleSignals, loadConfig } from '@sightline/service-kit';
import { createTracing } from '@sightline/telemetry';
import { type RouterConfig, routerConfigSchema } from './config.js';
import { type RouterHandle, startRouter } from './router.js';

/** Starts the router from flags (by camelCase key) and the environment; exits on signals. */
export async function runRouter(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RouterHandle> {
  const config: RouterConfig = loadConfig(routerConfigSchema, { flags, env });
  const logger = createLogger({ service: 'router', level: config.logLevel });
  // The async context (promise hooks on every promise) only when spans are recorded: an
  // untraced router passes the caller's trace headers on without it (see trace-headers.ts).
  const tracing = createTracing({ serviceName: 'sightline-router', env, contextPropagation: 'when-tracing' });
  const service = await startRouter(config, { logger, tracing, env });
  handleSignals(service, logger);
  return service;
}
