import { createServer } from 'node:net';
import { type WindowShare, WindowSummary } from '@sightline/detect';
import { silentLogger } from '@sightline/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { WindowShareSender } from './window-share-sender.js';

/** A loopback port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('WindowShareSender', () => {
  it('a dead merger: retries with a doubling backoff up to the bound, then drops the share and counts it', async () => {
    const waits: number[] = [];
    const dropped: string[] = [];
    const sender = new WindowShareSender({
      address: `127.0.0.1:${await deadPort()}`,
      retries: 4,
      logger: silentLogger(),
      onDropped: (share) => dropped.push(share.detector),
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const share: WindowShare = {
      replica: 'b',
      part: 1,
      detector: 'd',
      detectorVersion: 1,
      modelName: 'iris',
      modelVersion: '',
      windowStartMs: 60_000,
      windowEndMs: 120_000,
      closeReason: 'time',
      summary: new WindowSummary({ kinds: ['numeric'] }).toJSON(),
    };
    sender.send(share);
    await sender.idle();
    sender.close();
    expect(waits).toEqual([200, 400, 800]);
    expect(dropped).toEqual(['d']);
  });
});
