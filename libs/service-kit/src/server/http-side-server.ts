/**
 * The HTTP side port of every service: /metrics for Prometheus, /healthz (liveness) and
 * /readyz (readiness) for Kubernetes probes, plus routes a service adds (the CloudEvents
 * ingress of detectors, for example).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { bindReason } from './bind-reason.js';

/** A handler for an extra route; it owns the response. */
export type HttpRoute = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/** Options of the side server. */
export interface HttpSideServerOptions {
  readonly registry: Registry;
  readonly isReady: () => boolean;
  /** Extra routes by exact path. */
  readonly routes?: Readonly<Record<string, HttpRoute>>;
  readonly onRouteError?: (error: unknown, path: string) => void;
}

/** Starts the side server on `host:port` and resolves with the bound port. */
export async function startHttpSideServer(
  host: string,
  port: number,
  options: HttpSideServerOptions,
): Promise<{ readonly server: Server; readonly port: number; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = options.routes?.[path];
    if (route) {
      Promise.resolve()
        .then(() => route(request, response))
        .catch((error: unknown) => {
          options.onRouteError?.(error, path);
          if (!response.headersSent) {
            response.writeHead(500, { 'content-type': 'text/plain' });
          }
          response.end('internal error\n');
        });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics':
        options.registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
          () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n'),
        );
        return;
      case '/healthz':
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const ready = options.isReady();
        response
          .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
          .end(ready ? 'ready\n' : 'not ready\n');
        return;
      }
      default:
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  // Probes and scrapes are short; don't let an idle keep-alive socket hold shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        new Error(`HTTP port ${host}:${port} (--http-port): ${bindReason(error.code ?? error.message)}`, {
          cause: error,
        }),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
