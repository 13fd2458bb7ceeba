/**
 * Before `sightline start` spawns anything: the ports its services will listen on must be
 * free. Something already listening there (most often a `sightline start` still running)
 * would answer the readiness probes for ours, so the stack would say it is ready while its
 * own services fail to bind.
 */
import { connect } from 'node:net';
import type { ServiceAddresses } from './local-stack-banner.js';
import { dialHost } from './local-stack-readiness.js';

/** Longest wait for one connection attempt, ms: on loopback a free port refuses at once. */
export const PORT_CHECK_TIMEOUT_MS = 1_000;

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: dialHost(host).replace(/^\[|\]$/g, ''), port });
    socket.setTimeout(PORT_CHECK_TIMEOUT_MS, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Each fixed port (0 is any free one) that already accepts connections, as "router's gRPC port host:port". */
export async function portsTaken(services: readonly ServiceAddresses[]): Promise<string[]> {
  const checks = services.flatMap((s) =>
    (
      [
        ['gRPC', s.grpcPort],
        ['HTTP', s.httpPort],
      ] as const
    )
      .filter(([, port]) => port > 0)
      .map(async ([kind, port]) =>
        (await accepts(s.host, port)) ? `${s.name}'s ${kind} port ${dialHost(s.host)}:${port}` : undefined,
      ),
  );
  return (await Promise.all(checks)).filter((taken): taken is string => taken !== undefined);
}
