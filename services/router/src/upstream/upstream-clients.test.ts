import { Metadata, Server, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { Http2UnaryChannel } from './http2-unary-channel.js';
import { UpstreamClients, upstreamChannelOptions } from './upstream-clients.js';

const LIMITS = { maxReceiveMessageBytes: 1 << 20, maxSendMessageBytes: 1 << 20 };

/** A V2 endpoint on 127.0.0.1 that answers ServerLive and counts the calls. */
async function liveServer(): Promise<{ port: number; calls: () => number; stop: () => void }> {
  let calls = 0;
  const server = new Server();
  server.addService(inference.GRPCInferenceServiceService, {
    serverLive: (_call: unknown, callback: (e: null, r: inference.ServerLiveResponse) => void) => {
      calls += 1;
      callback(null, { live: true });
    },
  } as unknown as inference.GRPCInferenceServiceServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { port, calls: () => calls, stop: () => server.forceShutdown() };
}

function live(client: inference.GRPCInferenceServiceClient): Promise<boolean> {
  return new Promise((resolve, reject) =>
    client.serverLive(
      {},
      new Metadata(),
      { deadline: new Date(Date.now() + 5000) },
      (e: ServiceError | null, r) => (e ? reject(e) : resolve(r.live)),
    ),
  );
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('UpstreamClients', () => {
  it('gives every channel the round_robin service config and the message limits', () => {
    const options = upstreamChannelOptions(LIMITS);
    expect(JSON.parse(String(options['grpc.service_config']))).toEqual({
      loadBalancingConfig: [{ round_robin: {} }],
    });
    expect(options['grpc.max_receive_message_length']).toBe(1 << 20);
    expect(options['grpc.max_send_message_length']).toBe(1 << 20);
  });

  it('reaches a dns:/// target', async () => {
    const server = await liveServer();
    const clients = new UpstreamClients(LIMITS);
    cleanups.push(server.stop, () => clients.close());
    expect(await live(clients.inference(`dns:///127.0.0.1:${server.port}`))).toBe(true);
    expect(server.calls()).toBe(1);
  });

  it('spreads calls over every address a target resolves to', async () => {
    const a = await liveServer();
    const b = await liveServer();
    const clients = new UpstreamClients(LIMITS);
    cleanups.push(a.stop, b.stop, () => clients.close());
    const client = clients.inference(`ipv4:127.0.0.1:${a.port},127.0.0.1:${b.port}`);
    for (let i = 0; i < 20; i++) await live(client);
    expect(a.calls() + b.calls()).toBe(20);
    // pick_first would send all 20 to one address.
    expect(a.calls()).toBeGreaterThan(0);
    expect(b.calls()).toBeGreaterThan(0);
  });

  it('pools one HTTP/2 channel per supported address, none with grpc-js chosen or for other targets', () => {
    const clients = new UpstreamClients(LIMITS);
    const grpcOnly = new UpstreamClients({ ...LIMITS, upstreamClient: 'grpc-js' });
    cleanups.push(
      () => clients.close(),
      () => grpcOnly.close(),
    );
    const channel = clients.http2Inference('127.0.0.1:8001');
    expect(channel).toBeInstanceOf(Http2UnaryChannel);
    expect(clients.http2Inference('127.0.0.1:8001')).toBe(channel);
    expect(clients.http2Inference('dns:///model-server-headless:8001')).toBeInstanceOf(Http2UnaryChannel);
    expect(clients.http2Inference('ipv4:127.0.0.1:1,127.0.0.1:2')).toBeUndefined();
    expect(grpcOnly.http2Inference('127.0.0.1:8001')).toBeUndefined();
    expect(new UpstreamClients({ ...LIMITS, traceInterceptor: false }).activeTraceHeaders()).toBeUndefined();
  });
});
