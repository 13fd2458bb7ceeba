import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntilReady } from './local-stack-readiness.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A /readyz that answers 503 until `ready()` is called, counting probes. */
async function readyz(): Promise<{ url: string; probes: () => number; ready: () => void }> {
  let isReady = false;
  let probes = 0;
  const server = createServer((request, response) => {
    probes += 1;
    response.statusCode = request.url === '/readyz' && isReady ? 200 : 503;
    response.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/readyz`, probes: () => probes, ready: () => (isReady = true) };
}

describe('waitUntilReady', () => {
  it('waits until every service answers 200', async () => {
    const a = await readyz();
    const b = await readyz();
    a.ready();
    const waiting = waitUntilReady(
      [
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ],
      { timeoutMs: 60_000, gaveUp: () => false },
    );
    // b is made ready only after it was found not ready at least once.
    while (b.probes() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    b.ready();
    expect(await waiting).toEqual([]);
  });

  it('names those not ready when the time is up, and stops when told to', async () => {
    const a = await readyz();
    expect(await waitUntilReady([{ name: 'a', url: a.url }], { timeoutMs: 1, gaveUp: () => false })).toEqual([
      'a',
    ]);
    expect(
      await waitUntilReady([{ name: 'a', url: a.url }], { timeoutMs: 60_000, gaveUp: () => true }),
    ).toEqual(['a']);
  });
});
