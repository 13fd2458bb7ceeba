/**
 * Starts a service and shuts it down in order. This is the lifecycle every Sightline
 * service shares:
 *
 * start:    gRPC server (health NOT_SERVING) -> HTTP side port -> service's own start ->
 *           health SERVING, /readyz 200 (once the service's own readiness holds too; it
 *           calls `refreshReadiness` when that changes, e.g. an upstream first answers).
 * shutdown: not ready (health NOT_SERVING, /readyz 503) -> wait shutdownDelayMs while still
 *           serving -> end long-lived streams (`beforeDrain`) -> stop accepting calls and
 *           let in-flight ones finish (at most
 *           shutdownGraceMs, then cancel them) -> service's own stop (drain queues, free
 *           models) -> HTTP side port -> flush traces.
 */
import type { Server } from '@grpc/grpc-js';
import type { Tracing } from '@sightline/telemetry';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServerConfig } from '../config/server-config.js';
import { assertPortFree } from './bind-reason.js';
import { bindServer, createServiceServer, serverCredentials } from './grpc-server.js';
import { type HttpRoute, startHttpSideServer } from './http-side-server.js';

/** What a service plugs into the runner. */
export interface ServiceSpec {
  /** Human name for logs, e.g. `model-server`. */
  readonly name: string;
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly tracing?: Tracing;
  /** Proto files served, relative to proto/, for reflection. */
  readonly protoFiles: readonly string[];
  /** Fully-qualified gRPC service names, for health. */
  readonly serviceNames: readonly string[];
  /** Adds the service's implementations to the server. */
  readonly register: (server: Server) => void;
  /** The service's own start (load models...), run after the ports are bound. */
  readonly start?: () => Promise<void>;
  /** The service's own stop, run after in-flight calls finished (drain queues, free resources). */
  readonly stop?: () => Promise<void>;
  /**
   * Called once when shutdown stops taking calls, before in-flight calls are awaited: ends
   * calls that would otherwise run until the grace period is over (a stream that follows
   * new data until its caller cancels), so they end with a status the caller can act on.
   */
  readonly beforeDrain?: () => void;
  /** Extra readiness condition besides "started and not shutting down". */
  readonly isReady?: () => boolean;
  readonly httpRoutes?: Readonly<Record<string, HttpRoute>>;
}

/** A started service. */
export interface RunningService {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** `host:port` of the gRPC server as clients dial it (127.0.0.1 for a wildcard bind). */
  readonly grpcAddress: string;
  isReady(): boolean;
  /**
   * Sets gRPC health (SERVING / NOT_SERVING) from {@link isReady} again; a service calls it
   * when its own readiness condition changes. /readyz asks isReady on every probe.
   */
  refreshReadiness(): void;
  /** Shuts down in order; safe to call more than once (returns the same promise). */
  shutdown(reason?: string): Promise<void>;
}

function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Starts `spec` and returns a handle; the caller decides when to shut down (see {@link handleSignals}). */
export async function runService(spec: ServiceSpec): Promise<RunningService> {
  const { config, logger } = spec;
  const { server, health } = createServiceServer(config, {
    protoFiles: spec.protoFiles,
    serviceNames: spec.serviceNames,
  });
  spec.register(server);
  const credentials = await serverCredentials(config);
  const bindHost =
    config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  await assertPortFree(
    config.host,
    config.grpcPort,
    `gRPC port ${bindHost}:${config.grpcPort} (--grpc-port)`,
  );
  const grpcPort = await bindServer(server, `${bindHost}:${config.grpcPort}`, credentials);

  let started = false;
  let stopping = false;
  const isReady = () => started && !stopping && (spec.isReady?.() ?? true);
  const http = await startHttpSideServer(config.host, config.httpPort, {
    registry: spec.registry,
    isReady,
    routes: spec.httpRoutes,
    onRouteError: (error, path) => logger.error({ err: error, path }, 'HTTP route failed'),
  }).catch((error: unknown) => {
    server.forceShutdown();
    throw error;
  });

  const setServing = (serving: boolean) => {
    const state = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', state);
    for (const name of spec.serviceNames) health.setStatus(name, state);
  };

  try {
    await spec.start?.();
  } catch (error) {
    server.forceShutdown();
    await http.close();
    throw error;
  }
  started = true;
  let serving = isReady();
  setServing(serving);
  const refreshReadiness = () => {
    const now = isReady();
    if (now === serving) return;
    serving = now;
    setServing(now);
  };
  logger.info(
    { grpcPort, httpPort: http.port, host: config.host, tls: Boolean(config.tlsCertFile) },
    `${spec.name} serving`,
  );

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown requested') => {
    shutdownPromise ??= (async () => {
      logger.info({ reason }, `${spec.name} shutting down`);
      stopping = true;
      serving = false;
      setServing(false);
      if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
      spec.beforeDrain?.();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn({ graceMs: config.shutdownGraceMs }, 'grace period over: cancelling in-flight calls');
          server.forceShutdown();
          resolve();
        }, config.shutdownGraceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      try {
        await spec.stop?.();
      } catch (error) {
        logger.error({ err: error }, `${spec.name}: stop failed`);
      }
      await http.close();
      await spec.tracing
        ?.shutdown()
        .catch((error: unknown) => logger.warn({ err: error }, 'trace flush failed'));
      logger.info(`${spec.name} stopped`);
    })();
    return shutdownPromise;
  };

  return {
    grpcPort,
    httpPort: http.port,
    grpcAddress: `${dialHost(config.host)}:${grpcPort}`,
    isReady,
    refreshReadiness,
    shutdown,
  };
}

/**
 * Shuts the service down on SIGTERM or SIGINT, then exits: 0 after a clean stop, 1 if
 * the stop itself failed. A second signal exits at once.
 */
export function handleSignals(service: RunningService, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    service.shutdown(`received ${signal}`).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
