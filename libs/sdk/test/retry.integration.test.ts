/**
 * Retries against a real model-server that is down, then up: an idempotent call retried on
 * UNAVAILABLE with full-jitter backoff reaches the server once it is up; a call that is not
 * idempotent, or has retries off, fails at once with UNAVAILABLE.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Sightline, UnavailableError } from '../src/index.js';
import { type ChildService, startModelServer } from './helpers/child-service.js';

let modelServer: ChildService | undefined;
let sightline: Sightline | undefined;

afterAll(async () => {
  sightline?.close();
  await modelServer?.stop();
});

/** A port nothing listens on (bound then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('retries on UNAVAILABLE', () => {
  it('retries an idempotent call until the server comes up; never retries inference', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    sightline = new Sightline({
      address,
      deadlineMs: 90_000,
      retry: { maxAttempts: 1_000, initialBackoffMs: 50, maxBackoffMs: 250 },
    });

    // ServerLive, not ServerReady: the server answers (not ready) while it loads its models.
    const retried = sightline.inference.serverLive();
    // While that call is retrying, the server is down: calls that may not retry fail at once.
    await expect(sightline.inference.serverLive({ retry: false })).rejects.toBeInstanceOf(UnavailableError);
    await expect(sightline.inference.infer('iris', { input: [[5.1, 3.5, 1.4, 0.2]] })).rejects.toBeInstanceOf(
      UnavailableError,
    );

    modelServer = await startModelServer([], { grpcPort: port });
    expect(await retried).toBe(true);
    const result = await sightline.inference.infer('iris', { input: [[5.1, 3.5, 1.4, 0.2]] });
    expect(result.output('probabilities').shape).toEqual([1, 3]);
  }, 120_000); // the model-server starts inside the test (up to 60 s on a busy machine)
});
