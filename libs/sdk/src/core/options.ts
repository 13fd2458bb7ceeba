/**
 * The options a caller passes to `new Sightline(...)`, and their resolved form: parsed once
 * into a frozen object with every default written out and units in the names, so the
 * call path reads plain fields.
 */
import type { ChannelOptions } from '@grpc/grpc-js';
import { InvalidArgumentError } from '@sightline/errors';

/** The local stack's router, the front door (`npm start`). */
export const DEFAULT_ROUTER_ADDRESS = '127.0.0.1:8000';
/** The local stack's model-server. */
export const DEFAULT_MODEL_SERVER_ADDRESS = '127.0.0.1:8001';
/** The local stack's outlier service (`sightline serve outlier`, OutlierService). */
export const DEFAULT_OUTLIER_ADDRESS = '127.0.0.1:8002';
/** The local stack's drift service (`sightline serve drift`, DriftService). */
export const DEFAULT_DRIFT_ADDRESS = '127.0.0.1:8003';
/** The local stack's metrics service (`sightline serve metrics`, MetricsService). */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:8004';
/** The local stack's explainer (`sightline serve explainer`, ExplainerService). */
export const DEFAULT_EXPLAINER_ADDRESS = '127.0.0.1:8005';
/** The local stack's trace store (`sightline serve trace-store`, TraceService). */
export const DEFAULT_TRACES_ADDRESS = '127.0.0.1:8006';
/**
 * Services the router hosts (EventService over the events it writes): their address is the
 * router's unless named, so `addresses: { router }` alone reaches them.
 */
const ROUTER_HOSTED_SERVICES: ReadonlySet<string> = new Set(['events']);
/**
 * The deadline of a unary call when neither the call nor the client sets one, in ms: the
 * router's default graph budget, so a call through the router is not cut short by the SDK.
 */
export const DEFAULT_DEADLINE_MS = 30_000;
/** Attempts of an idempotent call (the first one included) when the client sets none. */
export const DEFAULT_RETRY_MAX_ATTEMPTS = 3;
/** Ceiling of the first retry's full-jitter delay, in ms. */
export const DEFAULT_RETRY_INITIAL_BACKOFF_MS = 100;
/** Largest ceiling of a retry's full-jitter delay, in ms. */
export const DEFAULT_RETRY_MAX_BACKOFF_MS = 2_000;
/**
 * The largest message sent or received, in bytes: the servers' own default
 * (--max-receive-message-bytes, --max-send-message-bytes), where grpc-js would refuse
 * answers over 4 MiB (a batch of convnet logits, an explainer's perturbations).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * How often a channel with a call open (a following tail, any stream) pings its server, in
 * ms: gRPC keepalive, so a peer that died or froze without closing the connection (a
 * host gone, a SIGSTOPped process, a dropped route) is found instead of waited on forever.
 * 30 s is well above the 10 s the Sightline servers accept (service-kit's
 * `grpc.http2.min_ping_interval_without_data_ms`) and far below the idle timeouts of load
 * balancers. No pings while no call is open (`grpc.keepalive_permit_without_calls` 0), as
 * KServe's and Triton's clients do, so an idle client costs its servers nothing.
 */
export const DEFAULT_KEEPALIVE_TIME_MS = 30_000;
/**
 * How long a keepalive ping may go unanswered before the connection is given up, in ms:
 * its open calls then fail UNAVAILABLE ("Connection dropped"). A dead peer is thus found
 * within keepaliveTimeMs + keepaliveTimeoutMs (40 s by default) of its last sign of life.
 */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000;

/**
 * The channel options the SDK sets: message size limits (above), and grpc-js's reconnect
 * backoff for a channel whose server went away, in ms. Its own defaults (1 s growing to
 * 120 s) would leave a client failing fast for up to two minutes after its server came
 * back; retries here assume the channel tries again within a few seconds.
 */
export const DEFAULT_CHANNEL_OPTIONS: Readonly<ChannelOptions> = Object.freeze({
  'grpc.max_receive_message_length': DEFAULT_MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': DEFAULT_MAX_MESSAGE_BYTES,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5_000,
});

/**
 * The address of each Sightline service, as a gRPC target (`host:port`, `dns:///host:port`,
 * `unix:///path`). Services the SDK will grow clients for (events, traces, drift, ...)
 * add their keys here.
 */
export interface SightlineAddresses {
  /** The router: V2 inference on graphs and models, GraphService. Default 127.0.0.1:8000. */
  readonly router?: string;
  /** The model-server: the V2 repository extension and statistics. Default 127.0.0.1:8001. */
  readonly modelServer?: string;
  /** The event query service (EventService); the router's address unless named. */
  readonly events?: string;
  /** The trace store (TraceService). Default 127.0.0.1:8006. */
  readonly traces?: string;
  /** The drift service (DriftService). Default 127.0.0.1:8003. */
  readonly drift?: string;
  /** The outlier service (OutlierService). Default 127.0.0.1:8002. */
  readonly outlier?: string;
  /** The metrics service (MetricsService). Default 127.0.0.1:8004. */
  readonly metrics?: string;
  /** The explainer (ExplainerService). Default 127.0.0.1:8005. */
  readonly explainer?: string;
  /** Any other service by its key (`events`, `traces`, ...). */
  readonly [service: string]: string | undefined;
}

/** TLS settings; PEM contents (not file paths), as a string or bytes. */
export interface TlsOptions {
  /** The CA bundle that signs the servers' certificates; the system roots when unset. */
  readonly ca?: string | Uint8Array;
  /** The client certificate chain, for mTLS (with `key`). */
  readonly cert?: string | Uint8Array;
  /** The client certificate's private key, for mTLS (with `cert`). */
  readonly key?: string | Uint8Array;
  /**
   * The name to check the server's certificate against, when it differs from the host in
   * the address (connecting by IP to a certificate issued for a DNS name).
   */
  readonly serverName?: string;
}

/** Retries of idempotent calls answered UNAVAILABLE: exponential backoff with full jitter. */
export interface RetryOptions {
  /** Attempts in all, the first one included; 1 turns retries off. Default 3. */
  readonly maxAttempts?: number;
  /** Ceiling of the first delay, in ms. Default 100. */
  readonly initialBackoffMs?: number;
  /** Largest ceiling of a delay, in ms. Default 2000. */
  readonly maxBackoffMs?: number;
}

/** What `new Sightline(...)` accepts; every field is optional. */
export interface SightlineOptions {
  /**
   * One address for every service not named in `addresses` (a single V2 server, or a
   * gateway that routes by service). Unset: each service's local-stack default.
   */
  readonly address?: string;
  /** An address per service; wins over `address`. */
  readonly addresses?: SightlineAddresses;
  /** TLS (`true`: TLS with the system roots), or plaintext when unset. */
  readonly tls?: TlsOptions | true;
  /**
   * A bearer token sent as `authorization: Bearer <token>` metadata on every call. Without
   * `tls` it travels in plaintext: use it so only on loopback or inside a mesh.
   */
  readonly token?: string;
  /**
   * The deadline of every unary call without its own, in ms. Default 30000. `Infinity`
   * sends none, so the server's own budget applies (a graph's timeout_ms on the router).
   */
  readonly deadlineMs?: number;
  /** Retries of idempotent calls answered UNAVAILABLE. */
  readonly retry?: RetryOptions;
  /**
   * How often a channel pings its server while a call is open, in ms (gRPC keepalive), so a
   * dead or frozen server fails the call (UNAVAILABLE) instead of hanging it: a following
   * tail has no deadline. Default 30000; `Infinity` sends no pings.
   */
  readonly keepaliveTimeMs?: number;
  /** How long a keepalive ping may go unanswered before the connection is dropped, in ms. Default 10000. */
  readonly keepaliveTimeoutMs?: number;
  /** Extra grpc-js channel options (message size limits, keepalive, ...); win over the defaults. */
  readonly channelOptions?: ChannelOptions;
}

/** The options resolved: defaults written out, checked, frozen. */
export interface ResolvedOptions {
  /** The address for a service key (`router`, `modelServer`, ...). */
  addressOf(service: string): string;
  /** TLS settings; undefined for plaintext. */
  readonly tls: TlsOptions | undefined;
  /** The bearer token; undefined for none. */
  readonly token: string | undefined;
  /** The default deadline of unary calls, in ms. */
  readonly deadlineMs: number;
  /** The retry settings of idempotent calls. */
  readonly retry: Required<RetryOptions>;
  /** grpc-js channel options, defaults and the caller's merged. */
  readonly channelOptions: Readonly<ChannelOptions>;
}

const SERVICE_DEFAULTS: Readonly<Record<string, string>> = {
  router: DEFAULT_ROUTER_ADDRESS,
  modelServer: DEFAULT_MODEL_SERVER_ADDRESS,
  traces: DEFAULT_TRACES_ADDRESS,
  drift: DEFAULT_DRIFT_ADDRESS,
  outlier: DEFAULT_OUTLIER_ADDRESS,
  metrics: DEFAULT_METRICS_ADDRESS,
  explainer: DEFAULT_EXPLAINER_ADDRESS,
};

/**
 * Checks and freezes the options.
 *
 * @throws InvalidArgumentError naming the option and the rule it broke.
 */
export function resolveOptions(options: SightlineOptions = {}): ResolvedOptions {
  const deadlineMs = positive('deadlineMs', options.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const keepaliveTimeMs = positive('keepaliveTimeMs', options.keepaliveTimeMs ?? DEFAULT_KEEPALIVE_TIME_MS);
  const keepaliveTimeoutMs = positive(
    'keepaliveTimeoutMs',
    options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
  );
  if (!Number.isFinite(keepaliveTimeoutMs)) {
    throw new InvalidArgumentError('keepaliveTimeoutMs: must be a finite positive number of ms');
  }
  // grpc-js reads -1 (or no option) as "no keepalive".
  const keepalive: ChannelOptions = {
    'grpc.keepalive_time_ms': Number.isFinite(keepaliveTimeMs) ? Math.ceil(keepaliveTimeMs) : -1,
    'grpc.keepalive_timeout_ms': Math.ceil(keepaliveTimeoutMs),
    'grpc.keepalive_permit_without_calls': 0,
  };
  const retry = Object.freeze({
    maxAttempts: positiveInteger(
      'retry.maxAttempts',
      options.retry?.maxAttempts ?? DEFAULT_RETRY_MAX_ATTEMPTS,
    ),
    initialBackoffMs: nonNegative(
      'retry.initialBackoffMs',
      options.retry?.initialBackoffMs ?? DEFAULT_RETRY_INITIAL_BACKOFF_MS,
    ),
    maxBackoffMs: nonNegative(
      'retry.maxBackoffMs',
      options.retry?.maxBackoffMs ?? DEFAULT_RETRY_MAX_BACKOFF_MS,
    ),
  });
  // A metadata value is printable ASCII; grpc-js would refuse anything else only at the call,
  // as INTERNAL, with the token itself in its message.
  if (options.token !== undefined && !/^[\x20-\x7e]*$/.test(options.token)) {
    throw new InvalidArgumentError(
      'token: must be one line of printable ASCII (it travels as a metadata value)',
      { field: 'token' },
    );
  }
  const addresses: Record<string, string> = {};
  for (const [service, address] of Object.entries(options.addresses ?? {})) {
    if (address !== undefined) addresses[service] = checkAddress(`addresses.${service}`, address);
  }
  const single = options.address === undefined ? undefined : checkAddress('address', options.address);
  const tls = options.tls === true ? {} : options.tls;
  if (tls !== undefined && (tls.cert === undefined) !== (tls.key === undefined)) {
    throw new InvalidArgumentError('tls: cert and key go together (mTLS needs both)');
  }
  return Object.freeze({
    addressOf(service: string): string {
      if (addresses[service] === undefined && ROUTER_HOSTED_SERVICES.has(service))
        return this.addressOf('router');
      const address = addresses[service] ?? single ?? SERVICE_DEFAULTS[service];
      if (address === undefined) {
        throw new InvalidArgumentError(
          `addresses.${service}: no address for this service and no default; set addresses.${service} or address`,
        );
      }
      return address;
    },
    tls: tls === undefined ? undefined : Object.freeze({ ...tls }),
    token: options.token,
    deadlineMs,
    retry,
    channelOptions: Object.freeze({ ...DEFAULT_CHANNEL_OPTIONS, ...keepalive, ...options.channelOptions }),
  });
}

function checkAddress(option: string, address: string): string {
  if (address.trim() === '' || /\s/.test(address)) {
    throw new InvalidArgumentError(
      `${option}: a gRPC target such as 127.0.0.1:8000, got ${JSON.stringify(address)}`,
    );
  }
  if (/^[a-z]+:\/\/[^/]/i.test(address) && !/^(dns|unix|ipv4|ipv6):/i.test(address)) {
    throw new InvalidArgumentError(
      `${option}: a gRPC target, not a URL (write host:port, e.g. 127.0.0.1:8000), got ${JSON.stringify(address)}`,
    );
  }
  return address;
}

function positive(option: string, value: number): number {
  if (Number.isNaN(value) || value <= 0) {
    throw new InvalidArgumentError(
      `${option}: must be a positive number of ms (or Infinity for none), got ${value}`,
    );
  }
  return value;
}

function nonNegative(option: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${option}: must be 0 or more ms, got ${value}`);
  }
  return value;
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${option}: must be an integer of 1 or more, got ${value}`);
  }
  return value;
}
