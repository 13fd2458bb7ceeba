/**
 * A lean gRPC unary client over `node:http2` for one upstream target: the router's upstream
 * ModelInfer calls (docs/design/router-byte-path.md). grpc-js's client runs every call
 * through interceptors, a resolving call, a retrying call and a load-balancing call; on a
 * 2-core VM a pass-through proxy spent ~560 us CPU per request with it and ~375 us with a
 * bare HTTP/2 client. This channel does only what the router's upstream calls need:
 * unary calls, plaintext HTTP/2 or TLS (with a client certificate for mTLS), `host:port`
 * targets resolved through DNS with calls spread round-robin over the addresses (as the
 * grpc-js channels' round_robin policy does), deadlines, cancellation, size limits and
 * keepalive PINGs while calls run. Everything else (other target schemes, streaming,
 * retries beyond a refused stream) is grpc-js's: {@link Http2UnaryChannel.supports} tells
 * the callers.
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import { isIP } from 'node:net';
import { status } from '@grpc/grpc-js';
import type { Cancellation } from '@sightline/errors';
import { UnaryCallError } from './grpc-call-status.js';
import { frameMessage } from './grpc-message-reader.js';
import { encodeGrpcTimeout } from './grpc-timeout.js';
import { Http2Connection, type Http2ConnectionOptions } from './http2-connection.js';
import {
  type AddressLookup,
  DEFAULT_ADDRESS_REFRESH_INTERVAL_MS,
  DEFAULT_MIN_RESOLUTION_INTERVAL_MS,
  type Http2Target,
  parseHttp2Target,
  type ResolvedAddress,
  systemLookup,
  TargetResolver,
} from './http2-target.js';
import { runUnaryCall } from './http2-unary-call.js';
import type { UnaryTransport } from './unary-transport.js';
import { DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_MS } from './upstream-client-kind.js';
import type { UpstreamTlsMaterial } from './upstream-tls.js';

/**
 * How long an address whose connection attempt failed is passed over while another
 * address is left, in ms (grpc-js's initial reconnection backoff): round_robin never picks
 * a subchannel in TRANSIENT_FAILURE either.
 */
export const DEFAULT_FAILED_ADDRESS_AVOID_MS = 1_000;

/** The `user-agent` of the channel's calls. */
export const HTTP2_UNARY_USER_AGENT = 'sightline-router-http2-unary/1';

/** Settings of a channel. */
export interface Http2UnaryChannelOptions {
  /** Largest message sent, in bytes (RESOURCE_EXHAUSTED above). */
  readonly maxSendMessageBytes: number;
  /** Largest message received, in bytes (RESOURCE_EXHAUSTED above). */
  readonly maxReceiveMessageBytes: number;
  /** Shortest time between two DNS resolutions, in ms (default {@link DEFAULT_MIN_RESOLUTION_INTERVAL_MS}). */
  readonly minResolutionIntervalMs?: number;
  /**
   * Age of a resolution after which the next call refreshes it in the background, in ms
   * (default {@link DEFAULT_ADDRESS_REFRESH_INTERVAL_MS}; 0: only after a failure).
   */
  readonly addressRefreshIntervalMs?: number;
  /** How long a failed address is passed over, in ms (default {@link DEFAULT_FAILED_ADDRESS_AVOID_MS}). */
  readonly failedAddressAvoidMs?: number;
  /** The resolver (default `dns.promises.lookup`; tests inject one). */
  readonly lookup?: AddressLookup;
  /** TLS material (undefined: plaintext h2c). */
  readonly tls?: UpstreamTlsMaterial | undefined;
  /** HTTP/2 PING interval while calls run, in ms (undefined: no pings). */
  readonly keepaliveTimeMs?: number | undefined;
  /**
   * How long a PING may go unanswered before the connection is closed, in ms (default
   * {@link DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_MS}).
   */
  readonly keepaliveTimeoutMs?: number | undefined;
}

/** One call's deadline, cancellation and extra headers. */
export interface Http2UnaryCallOptions {
  /** Epoch ms; Infinity for none. */
  readonly deadlineMs: number;
  readonly cancellation: Cancellation;
  /** Metadata sent as headers (lower-case ASCII keys), e.g. traceparent, tracestate, baggage. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** The channel. */
export class Http2UnaryChannel implements UnaryTransport {
  private readonly target: Http2Target;
  private readonly resolver: TargetResolver;
  private readonly connections = new Map<string, Http2Connection>();
  private readonly avoidMs: number;
  private readonly connectionOptions: Http2ConnectionOptions;
  private next = 0;
  private closed = false;

  /** Whether `target` is one this channel handles (else use grpc-js). */
  static supports(target: string): boolean {
    return parseHttp2Target(target) !== undefined;
  }

  /** @throws Error when {@link supports} says no. */
  constructor(
    target: string,
    private readonly options: Http2UnaryChannelOptions,
  ) {
    const parsed = parseHttp2Target(target);
    if (!parsed) throw new Error(`target "${target}": not a host:port the HTTP/2 unary channel handles`);
    this.target = parsed;
    this.resolver = new TargetResolver(
      parsed,
      options.lookup ?? systemLookup,
      options.minResolutionIntervalMs ?? DEFAULT_MIN_RESOLUTION_INTERVAL_MS,
      options.addressRefreshIntervalMs ?? DEFAULT_ADDRESS_REFRESH_INTERVAL_MS,
    );
    this.avoidMs = options.failedAddressAvoidMs ?? DEFAULT_FAILED_ADDRESS_AVOID_MS;
    this.connectionOptions = {
      tls: options.tls,
      serverName: isIP(parsed.host) === 0 ? parsed.host : undefined,
      keepaliveTimeMs: options.keepaliveTimeMs,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_MS,
    };
  }

  /**
   * Calls `path` with `message`; resolves with the answer's message bytes, rejects with a
   * {@link UnaryCallError} (grpc-js's codes and wording). A call the upstream never saw (a
   * refused stream, a GOAWAY before it was sent) is sent once more, as grpc-js's
   * transparent retry does.
   */
  async call(path: string, message: Uint8Array, options: Http2UnaryCallOptions): Promise<Buffer> {
    if (this.closed) throw new UnaryCallError(status.UNAVAILABLE, 'Channel has been shut down');
    if (message.length > this.options.maxSendMessageBytes) {
      throw new UnaryCallError(
        status.RESOURCE_EXHAUSTED,
        `Attempted to send message with a size larger than ${this.options.maxSendMessageBytes}`,
      );
    }
    const headers: OutgoingHttpHeaders = {
      ':method': 'POST',
      ':scheme': this.options.tls ? 'https' : 'http',
      ':path': path,
      ':authority': this.target.authority,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': HTTP2_UNARY_USER_AGENT,
    };
    const extra = options.headers;
    if (extra) for (const key in extra) headers[key] = extra[key];
    const frame = frameMessage(message);
    for (let attempt = 1; ; attempt++) {
      const connection = await this.pick();
      if (Number.isFinite(options.deadlineMs)) {
        const timeout = encodeGrpcTimeout(options.deadlineMs - Date.now());
        if (timeout !== undefined) headers['grpc-timeout'] = timeout;
      }
      try {
        return await runUnaryCall(connection, {
          headers,
          frame,
          deadlineMs: options.deadlineMs,
          cancellation: options.cancellation,
          maxReceiveMessageBytes: this.options.maxReceiveMessageBytes,
        });
      } catch (error) {
        const again =
          attempt === 1 &&
          error instanceof UnaryCallError &&
          error.unprocessed &&
          !this.closed &&
          options.cancellation.cancelReason === undefined &&
          Date.now() < options.deadlineMs;
        if (!again) throw error;
      }
    }
  }

  /** Ends every connection; calls in flight fail, later calls fail UNAVAILABLE. */
  close(): void {
    this.closed = true;
    for (const connection of this.connections.values()) connection.close(false);
    this.connections.clear();
  }

  /** The next address round-robin, passing over those that just failed while others are left. */
  private async pick(): Promise<Http2Connection> {
    let addresses: readonly ResolvedAddress[];
    try {
      const current = this.resolver.current();
      addresses = Array.isArray(current) ? current : await current;
    } catch (error) {
      throw new UnaryCallError(status.UNAVAILABLE, (error as Error).message);
    }
    if (this.closed) throw new UnaryCallError(status.UNAVAILABLE, 'Channel has been shut down');
    this.forgetRemoved(addresses);
    const now = Date.now();
    const count = addresses.length;
    let chosen = this.next % count;
    for (let i = 0; i < count; i++) {
      const index = (this.next + i) % count;
      if (now - this.connection(addresses[index]!).failedAtMs >= this.avoidMs) {
        chosen = index;
        break;
      }
    }
    this.next = (chosen + 1) % count;
    return this.connection(addresses[chosen]!);
  }

  private connection(address: ResolvedAddress): Http2Connection {
    let connection = this.connections.get(address.address);
    if (!connection) {
      connection = new Http2Connection(
        address,
        this.target.port,
        () => this.resolver.markStale(),
        this.connectionOptions,
      );
      this.connections.set(address.address, connection);
    }
    return connection;
  }

  /** Closes, gracefully, the connections of addresses a new resolution no longer lists. */
  private forgetRemoved(addresses: readonly ResolvedAddress[]): void {
    if (this.connections.size <= addresses.length) return;
    const kept = new Set(addresses.map((a) => a.address));
    for (const [key, connection] of this.connections) {
      if (!kept.has(key)) {
        connection.close(true);
        this.connections.delete(key);
      }
    }
  }
}
