/** The SDK's client for a resolved connection: one per command run, closed when it ends. */
import { Sightline } from '@sightline/sdk';
import type { ResolvedConnection } from '../frame/connection.js';

/**
 * A `Sightline` whose `connection.service` address is the one resolved from the flags,
 * with its TLS, token and `--timeout` as every unary call's deadline.
 */
export function sightlineFor(connection: ResolvedConnection): Sightline {
  const key = connection.service === 'model-server' ? 'modelServer' : connection.service;
  const tls = connection.tls;
  return new Sightline({
    addresses: { [key]: connection.address },
    deadlineMs: connection.timeoutMs,
    ...(connection.token !== undefined && { token: connection.token }),
    ...(tls !== undefined && {
      tls: {
        ...(tls.ca !== undefined && { ca: tls.ca }),
        ...(tls.cert !== undefined && { cert: tls.cert }),
        ...(tls.key !== undefined && { key: tls.key }),
        ...(tls.serverName !== undefined && { serverName: tls.serverName }),
      },
    }),
  });
}
