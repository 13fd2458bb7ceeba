/**
 * The router's readiness follows its default model-server until that first answers
 * ServerReady: /readyz and gRPC health say not ready before, ready after (and stay so).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, credentials, Metadata, Server, ServerCredentials } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { closedPort } from './helpers/closed-port.js';
import { testRouterConfig } from './helpers/router-config.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** grpc.health.v1.Health/Check for the whole server: SERVING (1) or NOT_SERVING (2). */
function healthStatus(address: string): Promise<number> {
  const client = new Client(address, credentials.createInsecure());
  return new Promise<number>((resolve, reject) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      new Metadata(),
      { deadline: Date.now() + 2000 },
      (error, response) => {
        client.close();
        // HealthCheckResponse: field 1 (varint) status.
        if (error) reject(error);
        else resolve(response && response.length >= 2 ? response[1]! : 0);
      },
    );
  });
}

/** A V2 server whose ServerReady answers true, on `port`. */
async function readyModelServer(port: number): Promise<() => void> {
  const server = new Server();
  server.addService(inference.GRPCInferenceServiceService, {
    serverReady: (_call: unknown, callback: (e: null, r: inference.ServerReadyResponse) => void) =>
      callback(null, { ready: true }),
  } as never);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (e) =>
      e ? reject(e) : resolve(),
    ),
  );
  return () => server.forceShutdown();
}

async function router(defaultModelServer: string): Promise<RouterHandle> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'router-ready-'));
  const handle = await startRouter(
    testRouterConfig({ defaultModelServer, dataDir, events: false, upstreamCheckIntervalMs: 100 }),
    { logger: silentLogger() },
  );
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  cleanups.push(() => handle.shutdown());
  return handle;
}

const readyz = async (handle: RouterHandle) =>
  (await fetch(`http://127.0.0.1:${handle.httpPort}/readyz`)).status;

describe('router readiness', () => {
  it('is not ready while the default model-server was never reached, and ready once it answers', async () => {
    const port = await closedPort();
    const handle = await router(`127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(handle.isReady()).toBe(false);
    expect(await readyz(handle)).toBe(503);
    expect(await healthStatus(handle.grpcAddress)).toBe(2);

    const stop = await readyModelServer(port);
    cleanups.push(stop);
    await expect.poll(() => handle.isReady(), { timeout: 5000 }).toBe(true);
    expect(await readyz(handle)).toBe(200);
    await expect.poll(() => healthStatus(handle.grpcAddress), { timeout: 2000 }).toBe(1);

    // Reached once: a later outage is logged, not followed.
    stop();
    await new Promise((r) => setTimeout(r, 300));
    expect(handle.isReady()).toBe(true);
  });

  it('is ready at once without a default model-server', async () => {
    const handle = await router('');
    expect(handle.isReady()).toBe(true);
    expect(await healthStatus(handle.grpcAddress)).toBe(1);
  });
});
