/**
 * One pooled grpc-js client per upstream address and service, created on first use and
 * kept for the router's life: a client owns a channel (HTTP/2 connection with
 * reconnection), so reusing it saves a handshake per call. Every client carries the
 * trace-context interceptor, so upstream spans join the request's trace, and balances
 * its calls round-robin over every address its target resolves to. Beside them, one
 * {@link Http2UnaryChannel} per address carries the upstream ModelInfer calls of both paths
 * with less CPU per call (setting `--upstream-client`), injecting the same trace headers
 * itself.
 */
import { type ChannelOptions, type Client, credentials } from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import { driftV1, inference, outlierV1 } from '@sightline/contracts';
import { traceContextClientInterceptor } from '@sightline/service-kit';
import {
  type AddressLookup,
  type DEFAULT_ADDRESS_REFRESH_INTERVAL_MS,
  DEFAULT_MIN_RESOLUTION_INTERVAL_MS,
} from './http2-target.js';
import { Http2UnaryChannel } from './http2-unary-channel.js';
import type { UpstreamClientKind } from './upstream-client-kind.js';

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
  };
}

type Constructor<T> = new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
  options?: object,
) => T;

/** The pool. */
export class UpstreamClients {
  private readonly clients = new Map<string, Client>();
  /** HTTP/2 channels by address; null where the address stays on grpc-js. */
  private readonly http2Channels = new Map<string, Http2UnaryChannel | null>();

  constructor(private readonly options: UpstreamClientOptions) {}

  private get<T extends Client>(kind: string, address: string, ctor: Constructor<T>): T {
    const key = `${kind} ${address}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new ctor(address, credentials.createInsecure(), {
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
   * The HTTP/2 unary channel of `address` for ModelInfer calls; undefined when the
   * setting is `grpc-js` or the channel does not handle the address (use {@link inference}).
   */
  http2Inference(address: string): Http2UnaryChannel | undefined {
    let channel = this.http2Channels.get(address);
    if (channel === undefined) {
      channel =
        this.options.upstreamClient !== 'grpc-js' && Http2UnaryChannel.supports(address)
          ? new Http2UnaryChannel(address, {
              maxReceiveMessageBytes: this.options.maxReceiveMessageBytes,
              maxSendMessageBytes: this.options.maxSendMessageBytes,
              // Unset ones take the channel's defaults.
              minResolutionIntervalMs: this.options.minResolutionIntervalMs,
              addressRefreshIntervalMs: this.options.addressRefreshIntervalMs,
              lookup: this.options.lookup,
            })
          : null;
      this.http2Channels.set(address, channel);
    }
    return channel ?? undefined;
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
    for (const channel of this.http2Channels.values()) channel?.close();
    this.http2Channels.clear();
  }
}
