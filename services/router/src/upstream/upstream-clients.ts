/**
 * One pooled grpc-js client per upstream address and service, created on first use and
 * kept for the router's life: a client owns a channel (HTTP/2 connection with
 * reconnection), so reusing it saves a handshake per call. Every client carries the
 * trace-context interceptor, so upstream spans join the request's trace, and balances
 * its calls round-robin over every address its target resolves to. Beside them, one
 * {@link UnaryTransport} per address carries the upstream ModelInfer calls of both paths;
 * which client it is (setting `--upstream-client`) is chosen here and nowhere else.
 */
import type { ChannelCredentials, ChannelOptions, Client } from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import { driftV1, inference, outlierV1 } from '@sightline/contracts';
import { traceContextClientInterceptor } from '@sightline/service-kit';
import { CONNECT_KEEPALIVE_UNSUPPORTED, ConnectUnaryTransport } from './connect-unary-transport.js';
import { GrpcJsUnaryTransport } from './grpc-js-unary-transport.js';
import {
  type AddressLookup,
  type DEFAULT_ADDRESS_REFRESH_INTERVAL_MS,
  DEFAULT_MIN_RESOLUTION_INTERVAL_MS,
} from './http2-target.js';
import { Http2UnaryChannel } from './http2-unary-channel.js';
import type { UnaryTransport } from './unary-transport.js';
import type { UpstreamClientKind } from './upstream-client-kind.js';
import { type UpstreamTlsMaterial, upstreamCredentials } from './upstream-tls.js';

/** Settings of the upstream channels. */
export interface UpstreamClientOptions {
  /** Largest message received from an upstream, in bytes. */
  readonly maxReceiveMessageBytes: number;
  /** Largest message sent to an upstream, in bytes. */
  readonly maxSendMessageBytes: number;
  /**
   * Whether every call carries the active span's context (the trace-context interceptor;
   * default true). A router that records no spans sets false and passes the caller's
   * headers itself ({@link CallOptions.traceHeaders}): no interceptor layer per call.
   */
  readonly traceInterceptor?: boolean;
  /** Client of the upstream ModelInfer calls (default `http2`). */
  readonly upstreamClient?: UpstreamClientKind;
  /**
   * Shortest time between two DNS resolutions of an HTTP/2 channel's target, in ms (default
   * {@link DEFAULT_MIN_RESOLUTION_INTERVAL_MS}, as grpc-js's channels).
   */
  readonly minResolutionIntervalMs?: number;
  /**
   * Age of an HTTP/2 channel's resolution after which the next call refreshes it in the
   * background, in ms (default {@link DEFAULT_ADDRESS_REFRESH_INTERVAL_MS}; 0: only after a
   * failure).
   */
  readonly addressRefreshIntervalMs?: number;
  /** The HTTP/2 channels' resolver (default `dns.promises.lookup`). */
  readonly lookup?: AddressLookup;
  /**
   * HTTP/2 PING interval of every upstream connection, in ms (undefined: no pings): a peer
   * that stops answering is found before a call waits on it.
   */
  readonly keepaliveTimeMs?: number | undefined;
  /** How long a PING may go unanswered before its connection is closed, in ms. */
  readonly keepaliveTimeoutMs?: number | undefined;
  /** TLS of every upstream connection (undefined: plaintext). */
  readonly tls?: UpstreamTlsMaterial | undefined;
}

/**
 * The load-balancing policy of every upstream channel. grpc-js defaults to pick_first,
 * which sends every call to the first address a target resolves to; round_robin keeps a
 * connection to each, so a headless-service target (`dns:///model-server-headless:8001`,
 * as deploy/ configures) spreads calls across the pods. Over one address it behaves as
 * pick_first, so it applies to every target.
 */
export const UPSTREAM_SERVICE_CONFIG = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });

/** The grpc-js options of an upstream channel. */
export function upstreamChannelOptions(options: UpstreamClientOptions): ChannelOptions {
  return {
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes,
    'grpc.max_send_message_length': options.maxSendMessageBytes,
    'grpc.service_config': UPSTREAM_SERVICE_CONFIG,
    ...(options.keepaliveTimeMs !== undefined && { 'grpc.keepalive_time_ms': options.keepaliveTimeMs }),
    ...(options.keepaliveTimeoutMs !== undefined && {
      'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs,
    }),
  };
}

type Constructor<T> = new (address: string, creds: ChannelCredentials, options?: object) => T;

/** The pool. */
export class UpstreamClients {
  private readonly clients = new Map<string, Client>();
  /** ModelInfer transports by address. */
  private readonly transports = new Map<string, UnaryTransport>();
  private readonly credentials: ChannelCredentials;

  /** @throws Error when the settings ask a client for what it cannot do (connect with keepalive). */
  constructor(private readonly options: UpstreamClientOptions) {
    if (options.upstreamClient === 'connect' && options.keepaliveTimeMs !== undefined) {
      throw new Error(CONNECT_KEEPALIVE_UNSUPPORTED);
    }
    this.credentials = upstreamCredentials(options.tls);
  }

  private get<T extends Client>(kind: string, address: string, ctor: Constructor<T>): T {
    const key = `${kind} ${address}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new ctor(address, this.credentials, {
        ...upstreamChannelOptions(this.options),
        interceptors: this.options.traceInterceptor === false ? [] : [traceContextClientInterceptor],
      });
      this.clients.set(key, client);
    }
    return client as T;
  }

  /** The inference client of `address`. */
  inference(address: string): inference.GRPCInferenceServiceClient {
    return this.get('inference', address, inference.GRPCInferenceServiceClient);
  }

  /** The outlier service client of `address`. */
  outlier(address: string): outlierV1.OutlierServiceClient {
    return this.get('outlier', address, outlierV1.OutlierServiceClient);
  }

  /** The drift service client of `address`. */
  drift(address: string): driftV1.DriftServiceClient {
    return this.get('drift', address, driftV1.DriftServiceClient);
  }

  /**
   * The transport of `address`'s hot-path unary calls (ModelInfer, and the detector nodes'
   * Predict): the client `--upstream-client` names where it handles the target, else
   * grpc-js (which handles every target form).
   */
  inferenceTransport(address: string): UnaryTransport {
    let transport = this.transports.get(address);
    if (transport === undefined) {
      transport = this.createTransport(address);
      this.transports.set(address, transport);
    }
    return transport;
  }

  private createTransport(address: string): UnaryTransport {
    const o = this.options;
    const limits = {
      maxReceiveMessageBytes: o.maxReceiveMessageBytes,
      maxSendMessageBytes: o.maxSendMessageBytes,
    };
    const connection = {
      keepaliveTimeMs: o.keepaliveTimeMs,
      keepaliveTimeoutMs: o.keepaliveTimeoutMs,
      tls: o.tls,
    };
    switch (o.upstreamClient ?? 'http2') {
      case 'http2':
        if (!Http2UnaryChannel.supports(address)) break;
        return new Http2UnaryChannel(address, {
          ...limits,
          ...connection,
          // Unset ones take the channel's defaults.
          minResolutionIntervalMs: o.minResolutionIntervalMs,
          addressRefreshIntervalMs: o.addressRefreshIntervalMs,
          lookup: o.lookup,
        });
      case 'connect':
        if (!ConnectUnaryTransport.supports(address)) break;
        return new ConnectUnaryTransport(address, { ...limits, ...connection });
      case 'grpc-js':
        break;
    }
    return new GrpcJsUnaryTransport(this.inference(address));
  }

  /**
   * The active span's trace headers for a call outside grpc-js (what the trace-context
   * interceptor adds to grpc-js calls); undefined when the clients inject none.
   */
  activeTraceHeaders(): Record<string, string> | undefined {
    if (this.options.traceInterceptor === false) return undefined;
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    return headers;
  }

  /** Closes every channel. */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
  }
}
