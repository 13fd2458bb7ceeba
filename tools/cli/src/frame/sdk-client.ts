/**
 * The SDK client a command calls its service with, built from the resolved connection: the
 * command's one address for every service (each command calls one), TLS, token, and
 * `--timeout` as the deadline of each call.
 */
import { Sightline, type SightlineOptions } from '@sightline/sdk';
import type { ResolvedConnection } from './connection.js';

/** The SDK options for a resolved connection. */
export function sdkOptions(connection: ResolvedConnection): SightlineOptions {
  return {
    address: connection.address,
    deadlineMs: connection.timeoutMs,
    ...(connection.keepaliveMs === undefined ? {} : { keepaliveTimeMs: connection.keepaliveMs }),
    ...(connection.tls === undefined ? {} : { tls: { ...connection.tls } }),
    ...(connection.token === undefined ? {} : { token: connection.token }),
  };
}

/** A client for one command; the frame closes it when the command ends. */
export function sightlineClient(connection: ResolvedConnection): Sightline {
  return new Sightline(sdkOptions(connection));
}
