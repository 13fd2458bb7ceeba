/**
 * One grpc-js channel per address, shared by every sub-client that talks to it (the
 * router's inference, graphs and events all ride one HTTP/2 connection), created on first
 * use and closed together.
 */
import { Client } from '@grpc/grpc-js';
import { FailedPreconditionError } from '@sightline/errors';
import { channelCredentials, tlsChannelOptions } from './channel-credentials.js';
import type { ResolvedOptions } from './options.js';

/** The channels of one `Sightline` client, by address. */
export class ChannelPool {
  private readonly clients = new Map<string, Client>();
  private closed = false;

  constructor(private readonly options: ResolvedOptions) {}

  /**
   * The channel for `address`, made on first use.
   *
   * @throws FailedPreconditionError after `close()`.
   */
  clientFor(address: string): Client {
    if (this.closed) throw new FailedPreconditionError('client: closed; make a new Sightline to call again');
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new Client(address, channelCredentials(this.options.tls), {
        ...this.options.channelOptions,
        ...tlsChannelOptions(this.options.tls),
      });
      this.clients.set(address, client);
    }
    return client;
  }

  /** The addresses with an open channel (for tests and diagnostics). */
  addresses(): string[] {
    return [...this.clients.keys()];
  }

  /** Closes every channel; calls in flight are cancelled by grpc-js. */
  close(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
