/**
 * Where a command connects and how: `--address` per service with the local stack's default
 * ports, TLS (`--tls`, `--tls-ca`, `--tls-cert`, `--tls-key`, `--tls-server-name`), a bearer
 * token (`--token`), the deadline of each call (`--timeout`) and the keepalive pings that
 * find a dead service while a call is open (`--keepalive`).
 *
 * Each setting is read from its flag, else its environment variable, else the default. The
 * address reads `SIGHTLINE_<SERVICE>_ADDRESS` (e.g. SIGHTLINE_ROUTER_ADDRESS), then
 * `SIGHTLINE_ADDRESS` (one address for every service, e.g. a gateway in front of them),
 * then the local stack's port from DESIGN.md.
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { parseDurationMs } from './duration.js';
import { UsageError } from './usage-error.js';

/**
 * The services the CLI calls, with the local stack's address of each. A service issue adds
 * its row when it adds its commands.
 */
export const SERVICE_ENDPOINTS = {
  router: { defaultAddress: '127.0.0.1:8000', env: 'SIGHTLINE_ROUTER_ADDRESS' },
  'model-server': { defaultAddress: '127.0.0.1:8001', env: 'SIGHTLINE_MODEL_SERVER_ADDRESS' },
  outlier: { defaultAddress: '127.0.0.1:8002', env: 'SIGHTLINE_OUTLIER_ADDRESS' },
  drift: { defaultAddress: '127.0.0.1:8003', env: 'SIGHTLINE_DRIFT_ADDRESS' },
  metrics: { defaultAddress: '127.0.0.1:8004', env: 'SIGHTLINE_METRICS_ADDRESS' },
  explainer: { defaultAddress: '127.0.0.1:8005', env: 'SIGHTLINE_EXPLAINER_ADDRESS' },
  'trace-store': { defaultAddress: '127.0.0.1:8006', env: 'SIGHTLINE_TRACE_STORE_ADDRESS' },
} as const;

/** A service the CLI can call. */
export type ServiceName = keyof typeof SERVICE_ENDPOINTS;

/**
 * A service as a sentence names it: "the router", "the model-server", but "the drift
 * service", "the outlier service", "the metrics service" (names that are not nouns alone).
 */
export function serviceLabel(service: ServiceName): string {
  return service === 'drift' || service === 'outlier' || service === 'metrics'
    ? `${service} service`
    : service;
}

/** The variable that gives every service's address when its own is unset. */
export const SHARED_ADDRESS_ENV = 'SIGHTLINE_ADDRESS';

/** TLS settings, files already read. */
export interface ResolvedTls {
  /** PEM root certificates; undefined uses the system's roots. */
  readonly ca?: Buffer;
  /** PEM client certificate chain (mTLS), with `key`. */
  readonly cert?: Buffer;
  /** PEM client private key (mTLS), with `cert`. */
  readonly key?: Buffer;
  /** The name checked against the server's certificate, when it differs from the address. */
  readonly serverName?: string;
}

/** How one command reaches its service, resolved from flags, environment and defaults. */
export interface ResolvedConnection {
  readonly service: ServiceName;
  /** host:port (or any gRPC target: dns:///, unix:). */
  readonly address: string;
  /** Undefined for plaintext. */
  readonly tls?: ResolvedTls;
  /** Sent as `authorization: Bearer <token>`. */
  readonly token?: string;
  /** The deadline of each call, in ms. */
  readonly timeoutMs: number;
  /** How often a connection with a call open pings its service, in ms; unset: the SDK's 30 s. */
  readonly keepaliveMs?: number;
}

/** The connection flags as commander hands them over. */
export interface ConnectionFlags {
  readonly address?: string;
  readonly tls?: boolean;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsServerName?: string;
  readonly token?: string;
  readonly timeout?: string;
  readonly keepalive?: string;
}

/**
 * Adds the connection flags to a command that calls `service`. No commander defaults: an
 * absent flag stays undefined so its environment variable applies.
 *
 * @param defaultTimeout - the `--timeout` when neither flag nor SIGHTLINE_TIMEOUT is set.
 */
export function addConnectionOptions(
  command: Command,
  service: ServiceName,
  defaultTimeout: string,
): Command {
  const endpoint = SERVICE_ENDPOINTS[service];
  return command
    .addOption(
      new Option(
        '--address <host:port>',
        `the ${serviceLabel(service)}'s gRPC address (default: ${endpoint.defaultAddress}; env ${endpoint.env}, then ${SHARED_ADDRESS_ENV})`,
      ),
    )
    .addOption(new Option('--tls', 'connect with TLS, checking the server against the system roots'))
    .addOption(
      new Option(
        '--tls-ca <file>',
        'PEM root certificates to check the server with (implies --tls; env SIGHTLINE_TLS_CA)',
      ),
    )
    .addOption(
      new Option(
        '--tls-cert <file>',
        'PEM client certificate for mutual TLS, with --tls-key (env SIGHTLINE_TLS_CERT)',
      ),
    )
    .addOption(
      new Option(
        '--tls-key <file>',
        'PEM client private key for mutual TLS, with --tls-cert (env SIGHTLINE_TLS_KEY)',
      ),
    )
    .addOption(new Option('--tls-server-name <name>', "the name to check the server's certificate against"))
    .addOption(
      new Option('--token <token>', 'bearer token sent as authorization metadata (env SIGHTLINE_TOKEN)'),
    )
    .addOption(
      new Option(
        '--timeout <duration>',
        `deadline of each call, e.g. 500ms, 30s, 2m (default: ${defaultTimeout}; env SIGHTLINE_TIMEOUT)`,
      ),
    )
    .addOption(
      new Option(
        '--keepalive <duration>',
        'ping the service this often while a call is open; one unanswered for 10s ends the call (a dead or frozen service), e.g. 10s (default: 30s; env SIGHTLINE_KEEPALIVE)',
      ),
    );
}

/** gRPC target schemes grpc-js resolves, passed through as they are. */
const GRPC_SCHEMES = /^(?:dns|unix|unix-abstract|ipv4|ipv6|vsock):/;
const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;

/** Checks an address: a gRPC target with a scheme, or host:port with a port in 1-65535. */
export function checkAddress(address: string, source: string): string {
  if (GRPC_SCHEMES.test(address)) return address;
  const match = HOST_PORT.exec(address);
  const port = match ? Number(match[1]) : 0;
  if (!match || port < 1 || port > 65535) {
    throw new UsageError(
      `${source}: expected host:port with a port in 1-65535, got ${JSON.stringify(address)}`,
    );
  }
  return address;
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`${flag} ${path}: cannot read the file (${reason})`);
  }
}

/**
 * Resolves the flags of a command calling `service` into a connection: flag, else
 * environment, else default; TLS files are read here so an unreadable one is a usage error.
 *
 * @throws UsageError naming the flag (or variable) for a malformed address or timeout, an
 *   unreadable file, or only one of `--tls-cert` and `--tls-key`.
 */
export function resolveConnection(
  service: ServiceName,
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  defaultTimeout: string,
): ResolvedConnection {
  const endpoint = SERVICE_ENDPOINTS[service];
  const [address, addressSource] =
    flags.address !== undefined
      ? [flags.address, '--address']
      : env[endpoint.env]
        ? [env[endpoint.env]!, endpoint.env]
        : env[SHARED_ADDRESS_ENV]
          ? [env[SHARED_ADDRESS_ENV]!, SHARED_ADDRESS_ENV]
          : [endpoint.defaultAddress, 'default'];
  checkAddress(address, addressSource);

  const timeoutText = flags.timeout ?? env.SIGHTLINE_TIMEOUT ?? defaultTimeout;
  const timeoutMs = parseDurationMs(
    timeoutText,
    flags.timeout !== undefined ? '--timeout' : 'SIGHTLINE_TIMEOUT',
  );

  const keepaliveText = flags.keepalive ?? env.SIGHTLINE_KEEPALIVE;
  const keepaliveMs =
    keepaliveText === undefined
      ? undefined
      : parseDurationMs(keepaliveText, flags.keepalive !== undefined ? '--keepalive' : 'SIGHTLINE_KEEPALIVE');

  const caPath = flags.tlsCa ?? env.SIGHTLINE_TLS_CA;
  const certPath = flags.tlsCert ?? env.SIGHTLINE_TLS_CERT;
  const keyPath = flags.tlsKey ?? env.SIGHTLINE_TLS_KEY;
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new UsageError('--tls-cert and --tls-key: give both for mutual TLS, or neither');
  }
  const wantsTls =
    flags.tls === true || caPath !== undefined || certPath !== undefined || flags.tlsServerName !== undefined;
  const tls: ResolvedTls | undefined = wantsTls
    ? {
        ...(caPath === undefined ? {} : { ca: readPem(caPath, '--tls-ca') }),
        ...(certPath === undefined ? {} : { cert: readPem(certPath, '--tls-cert') }),
        ...(keyPath === undefined ? {} : { key: readPem(keyPath, '--tls-key') }),
        ...(flags.tlsServerName === undefined ? {} : { serverName: flags.tlsServerName }),
      }
    : undefined;
  const token = flags.token ?? env.SIGHTLINE_TOKEN;
  if (token !== undefined && token.trim() === '') throw new UsageError('--token: must not be empty');
  return {
    service,
    address,
    timeoutMs,
    ...(keepaliveMs === undefined ? {} : { keepaliveMs }),
    ...(tls === undefined ? {} : { tls }),
    ...(token === undefined ? {} : { token }),
  };
}
