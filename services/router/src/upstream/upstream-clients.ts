/**
 * One pooled grpc-js client per upstream address and service, created on first use and
 * kept for the router's life: a client owns a channel (HTTP/2 connection with
 * reconnection), so reusing it saves a handshake per call. Every client carries the
 * trace-context interceptor, so upstream spans join the request's trace, and balances
 * its calls round-robin over every address its target resolves to.
 */
import { type ChannelOptions, type Client, credentials } from '@grpc/grpc-js';
import { driftV1, inference, outlierV1 } from '@sightline/contracts';
import { traceContextClientInterceptor } from '@sightline/service-kit';

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

  /** Closes every channel. */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
