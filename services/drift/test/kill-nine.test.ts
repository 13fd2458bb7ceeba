/**
 * A kill -9 of the service as its own process: a detector fitted, attached and acknowledged
 * (Fit and AttachDetector answered), and a DriftEvent once ListDriftEvents has shown it,
 * are all there after a restart on the same data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from '@sightline/service-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { irisEvent, postEvents } from './helpers/cloud-events.js';
import { driftClient, irisTensor, tensorMessages } from './helpers/drift-test-service.js';

const CLI = fileURLToPath(new URL('./fixtures/serve-drift.mjs', import.meta.url));
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

describe('kill -9', () => {
  let dataDir: string;
  const children: ChildService[] = [];
  afterAll(async () => {
    for (const child of children) await child.stop().catch(() => {});
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const child = await startChildService({
      cli: CLI,
      cwd: PACKAGE,
      service: 'drift',
      args: ['--data-dir', dataDir, '--events-dir', path.join(dataDir, 'no-events'), '--log-level', 'info'],
    });
    children.push(child);
    return child;
  };

  it('keeps what was acknowledged', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sightline-drift-kill-'));
    const first = await start();
    const client = driftClient(first.address);
    await client.createDetector({ name: 'k9', config: { ks: {} } });
    await client.fit({ name: 'k9', data: tensorMessages(irisTensor(100, 1)) });
    await client.attachDetector({
      name: 'k9',
      selector: { modelName: 'iris' },
      window: { maxRows: 20, minRows: 5 },
    });
    const events = Array.from({ length: 20 }, (_, i) => irisEvent(i));
    expect((await postEvents(`http://127.0.0.1:${first.httpPort}/events`, events, 'batch')).status).toBe(202);
    await expect
      .poll(async () => (await client.listDriftEvents({ name: 'k9' })).events.length, { timeout: 10_000 })
      .toBe(1);
    client.close();
    process.kill(first.pid, 'SIGKILL');
    await first.stop();

    const second = await start();
    const again = driftClient(second.address);
    const detector = await again.getDetector({ name: 'k9' });
    expect(detector.detector).toMatchObject({ version: 1, attached: true, referenceRows: 100n });
    const stored = await again.listDriftEvents({ name: 'k9' });
    expect(stored.events.map((e) => [e.rows, e.closedBy])).toEqual([[20n, 'rows']]);
    again.close();
  });
});
