import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Metadata, Server, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import type { Cancellation } from '@sightline/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcTargetProblem } from '../graph/grpc-target.js';
import { ConnectUnaryTransport } from './connect-unary-transport.js';
import { GrpcJsUnaryTransport } from './grpc-js-unary-transport.js';
import { Http2UnaryChannel } from './http2-unary-channel.js';
import { UpstreamClients, upstreamChannelOptions } from './upstream-clients.js';

const NEVER_CANCELLED: Cancellation = { cancelReason: undefined, onCancel: () => () => {} };

const LIMITS = { maxReceiveMessageBytes: 1 << 20, maxSendMessageBytes: 1 << 20 };

/** A V2 endpoint on 127.0.0.1 that answers ServerLive and counts the calls. */
async function liveServer(
  address = '127.0.0.1:0',
): Promise<{ port: number; calls: () => number; stop: () => void }> {
  let calls = 0;
  const server = new Server();
  server.addService(inference.GRPCInferenceServiceService, {
    serverLive: (_call: unknown, callback: (e: null, r: inference.ServerLiveResponse) => void) => {
      calls += 1;
      callback(null, { live: true });
    },
  } as unknown as inference.GRPCInferenceServiceServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
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

  it('pools one ModelInfer transport per address, of the kind chosen, grpc-js for targets a kind does not handle', () => {
    const http2 = new UpstreamClients(LIMITS);
    const grpcOnly = new UpstreamClients({ ...LIMITS, upstreamClient: 'grpc-js' });
    const connect = new UpstreamClients({ ...LIMITS, upstreamClient: 'connect' });
    cleanups.push(
      () => http2.close(),
      () => grpcOnly.close(),
      () => connect.close(),
    );
    const channel = http2.inferenceTransport('127.0.0.1:8001');
    expect(channel).toBeInstanceOf(Http2UnaryChannel);
    expect(http2.inferenceTransport('127.0.0.1:8001')).toBe(channel);
    expect(http2.inferenceTransport('dns:///model-server-headless:8001')).toBeInstanceOf(Http2UnaryChannel);
    expect(http2.inferenceTransport('ipv4:127.0.0.1:1,127.0.0.1:2')).toBeInstanceOf(GrpcJsUnaryTransport);
    expect(grpcOnly.inferenceTransport('127.0.0.1:8001')).toBeInstanceOf(GrpcJsUnaryTransport);
    expect(connect.inferenceTransport('127.0.0.1:8001')).toBeInstanceOf(ConnectUnaryTransport);
    expect(connect.inferenceTransport('ipv4:127.0.0.1:1,127.0.0.1:2')).toBeInstanceOf(GrpcJsUnaryTransport);
    expect(new UpstreamClients({ ...LIMITS, traceInterceptor: false }).activeTraceHeaders()).toBeUndefined();
  });

  it('calls ModelInfer-style methods on every target form graph validation accepts, with every client kind', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'router-targets-'));
    const socket = path.join(directory, 'live.sock');
    const server = await liveServer();
    const onSocket = await liveServer(`unix:${socket}`);
    cleanups.push(server.stop, onSocket.stop, () => void rm(directory, { recursive: true, force: true }));
    const v6 = await liveServer('[::1]:0').catch(() => undefined);
    if (v6) cleanups.push(v6.stop);
    const p = server.port;
    const targets = [
      `127.0.0.1:${p}`,
      `dns:///127.0.0.1:${p}`,
      `dns:127.0.0.1:${p}`,
      `ipv4:127.0.0.1:${p}`,
      `ipv4:///127.0.0.1:${p}`,
      `ipv4:127.0.0.1:${p},127.0.0.1:${p}`,
      `unix:${socket}`,
      `unix://${socket}`,
      ...(v6 ? [`[::1]:${v6.port}`, `ipv6:[::1]:${v6.port}`, `ipv6:///[::1]:${v6.port}`] : []),
    ];
    for (const target of targets) expect(grpcTargetProblem(target), target).toBeUndefined();
    const path_ = '/inference.GRPCInferenceService/ServerLive';
    for (const upstreamClient of ['http2', 'grpc-js', 'connect'] as const) {
      const clients = new UpstreamClients({ ...LIMITS, upstreamClient });
      cleanups.push(() => clients.close());
      for (const target of targets) {
        const answer = await clients
          .inferenceTransport(target)
          .call(path_, new Uint8Array(), { deadlineMs: Date.now() + 5000, cancellation: NEVER_CANCELLED });
        expect(inference.ServerLiveResponse.decode(answer).live, `${upstreamClient} ${target}`).toBe(true);
      }
    }
  });

  it('gives the grpc-js channels the keepalive settings', () => {
    const options = upstreamChannelOptions({ ...LIMITS, keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 2_000 });
    expect(options['grpc.keepalive_time_ms']).toBe(10_000);
    expect(options['grpc.keepalive_timeout_ms']).toBe(2_000);
    expect(upstreamChannelOptions(LIMITS)['grpc.keepalive_time_ms']).toBeUndefined();
  });
});
