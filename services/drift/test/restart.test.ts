/**
 * State across a restart on the same data directory: fitted detectors (every version) come
 * back; a corrupt saved version is refused alone (named in the status metric and the error
 * the detector then answers) while the others serve; an attached detector is re-attached
 * and its open window, checkpointed at the graceful stop, carries on.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { irisEvent, postEvents } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

describe('restart', () => {
  let dataDir: string;
  const started: TestDrift[] = [];
  afterAll(async () => {
    for (const drift of started) await drift.stop().catch(() => {});
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps fitted detectors and open windows, refuses a corrupt version alone', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sightline-drift-restart-'));
    const first = await startTestDrift({ dataDir });
    started.push(first);
    for (const name of ['keep', 'broken', 'live']) {
      await first.client.createDetector({ name, config: { ks: {} } });
      await first.client.fit({ name, data: tensorMessages(irisTensor(100, 1)) });
    }
    await first.client.fit({ name: 'keep', data: tensorMessages(irisTensor(120, 2)) });
    await first.client.attachDetector({
      name: 'live',
      selector: { modelName: 'iris', tensors: ['input'] },
      window: { maxRows: 50, minRows: 5 },
    });
    const events = Array.from({ length: 30 }, (_, i) => irisEvent(i));
    expect((await postEvents(`${first.httpBase}/events`, events, 'batch')).status).toBe(202);
    await first.service.idle();
    await first.stop();

    await writeFile(path.join(dataDir, 'fitted', 'broken', 'v1', 'detector.json'), '{ torn');

    const second = await startTestDrift({ dataDir });
    started.push(second);
    const keep = await second.client.getDetector({ name: 'keep' });
    expect(keep.detector?.version).toBe(2);
    expect(keep.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(keep.detector?.referenceRows).toBe(120n);
    const answer = await second.client.predict({ name: 'keep', data: tensorMessages(irisTensor(40, 3)) });
    expect(answer.data?.features).toHaveLength(4);

    await expect(
      second.client.predict({ name: 'broken', data: tensorMessages(irisTensor(40, 3)) }),
    ).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringMatching(/refused at start/),
    });
    const metrics = await (await fetch(`${second.httpBase}/metrics`)).text();
    expect(metrics).toMatch(/^sightline_drift_detectors_refused\{[^}]*\} 1$/m);

    const live = await second.client.getDetector({ name: 'live' });
    expect(live.detector?.attached).toBe(true);
    // 30 rows were checkpointed at the stop: 20 more close the 50-row window.
    const more = Array.from({ length: 20 }, (_, i) => irisEvent(100 + i));
    expect((await postEvents(`${second.httpBase}/events`, more, 'batch')).status).toBe(202);
    await second.service.idle();
    await expect
      .poll(async () => (await second.client.listDriftEvents({ name: 'live' })).events.length, {
        timeout: 5000,
      })
      .toBe(1);
    const [event] = (await second.client.listDriftEvents({ name: 'live' })).events;
    expect(event).toMatchObject({
      detector: 'live',
      rows: 50n,
      events: 50n,
      closedBy: 'rows',
      origin: 'live',
    });
    expect(event?.requestIds).toHaveLength(50);
  });
});
