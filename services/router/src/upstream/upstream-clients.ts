/**
 * One pooled grpc-js client per upstream address and service, created on first use and
 * kept for the router's life: a client owns a channel (HTTP/2 connection with
 * reconnection), so reusing it saves a handshake per call. Every client carries the
 * trace-context interceptor, so upstream spans join the request's trace.
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
      const channelOptions: ChannelOptions = {
        'grpc.max_receive_message_length': this.options.maxReceiveMessageBytes,
        'grpc.max_send_message_length': this.options.maxSendMessageBytes,
      };
      client = new ctor(address, credentials.createInsecure(), {
        ...channelOptions,
        interceptors: [traceContextClientInterceptor],
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
