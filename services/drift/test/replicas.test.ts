/**
 * Scaling out: three drift services on loopback, events spread over them through POST
 * /events. The two non-merging replicas send each aligned window as a summary to the merger
 * (--merge-into), which scores the merged window (--replicas 3) once every share arrived:
 * its DriftEvent equals, within the stated bound, that of one service given every event.
 * A stopped replica: the window is scored after --merge-grace-ms with 2 of 3 shares, said so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent, postEvents } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

const SLOT_MS = 60_000;
const GRACE_MS = 5_000;
const selector = { modelName: 'iris', tensors: ['input'] };
const window = {
  maxRows: 10_000,
  minRows: 5,
  maxDuration: { seconds: BigInt(SLOT_MS / 1000), nanos: 0 },
  aligned: true,
};

describe('windows merged across three replicas', () => {
  let clock = 1_800_000_000_000;
  const now = () => clock;
  let merger: TestDrift;
  let replicas: TestDrift[] = [];
  let solo: TestDrift;

  async function prepare(drift: TestDrift): Promise<void> {
    await drift.client.createDetector({ name: 'iris-ks', config: { ks: {} } });
    await drift.client.fit({ name: 'iris-ks', data: tensorMessages(irisTensor(500, 1)) });
    await drift.client.attachDetector({ name: 'iris-ks', selector, window });
  }

  beforeAll(async () => {
    merger = await startTestDrift({ now, flags: { replicas: 3, mergeGraceMs: GRACE_MS, replicaId: 'a' } });
    const mergeInto = merger.service.grpcAddress.replace('localhost', '127.0.0.1');
    replicas = [
      merger,
      await startTestDrift({ now, flags: { mergeInto, replicaId: 'b', mergeRetries: 2 } }),
      await startTestDrift({ now, flags: { mergeInto, replicaId: 'c', mergeRetries: 2 } }),
    ];
    solo = await startTestDrift({ now });
    for (const drift of [...replicas, solo]) await prepare(drift);
  });

  afterAll(async () => {
    for (const drift of [...replicas, solo]) await drift?.stop().catch(() => undefined);
  });

  /** `count` events of the slot starting now, spread round-robin over `over`, every one also to solo. */
  async function spread(first: number, count: number, shift: number, over: TestDrift[]): Promise<void> {
    const events = Array.from({ length: count }, (_, i) => irisEvent(first + i, { shift }));
    for (let r = 0; r < over.length; r++) {
      const share = events.filter((_, i) => i % over.length === r);
      expect((await postEvents(`${over[r]!.httpBase}/events`, share, 'batch')).status).toBe(202);
    }
    expect((await postEvents(`${solo.httpBase}/events`, events, 'batch')).status).toBe(202);
    for (const drift of [...over, solo]) await drift.service.idle();
  }

  async function mergedEvents(count: number) {
    await expect
      .poll(async () => (await merger.client.listDriftEvents({ name: 'iris-ks' })).events.length, {
        timeout: 10_000,
      })
      .toBe(count);
    return (await merger.client.listDriftEvents({ name: 'iris-ks' })).events;
  }

  it('the merger scores each window once all three shares arrived, as one service given every event would', async () => {
    for (const [slot, shift] of [
      [0, 0],
      [1, 0.3],
    ] as const) {
      clock += 1000;
      await spread(slot * 1000, 600, shift, replicas);
      clock = 1_800_000_000_000 + (slot + 1) * SLOT_MS;
      for (const drift of [...replicas, solo]) await drift.service.tick();
      const [merged] = await mergedEvents(slot + 1);
      const [single] = (await solo.client.listDriftEvents({ name: 'iris-ks' })).events;
      expect(single).toMatchObject({ rows: 600n, closedBy: 'time', sharesMerged: 0 });
      expect(merged).toMatchObject({
        rows: 600n,
        events: 600n,
        closedBy: 'time',
        sharesMerged: 3,
        sharesExpected: 3,
        windowStartTime: single!.windowStartTime,
      });
      expect(merged!.data?.isDrift).toBe(single!.data?.isDrift);
      expect(merged!.data?.isDrift).toBe(shift > 0);
      merged!.data!.features.forEach((feature, c) => {
        expect(Math.abs(feature.distance - single!.data!.features[c]!.distance)).toBeLessThanOrEqual(
          feature.statisticErrorBound! + 1e-9,
        );
      });
      // The replicas score nothing themselves.
      for (const replica of replicas.slice(1)) {
        expect((await replica.client.listDriftEvents({ name: 'iris-ks' })).events).toHaveLength(0);
      }
    }
  });

  it('a stopped replica: the window is scored after the grace with 2 of 3 shares, said so', async () => {
    await replicas[2]!.stop();
    clock += 1000;
    await spread(5000, 400, 0, replicas.slice(0, 2));
    clock = 1_800_000_000_000 + 3 * SLOT_MS;
    for (const drift of replicas.slice(0, 2)) await drift.service.tick();
    // Both shares are in, the third never comes: nothing until the grace has passed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await merger.client.listDriftEvents({ name: 'iris-ks' })).events).toHaveLength(2);
    clock += GRACE_MS;
    await merger.service.tick();
    const [merged] = await mergedEvents(3);
    expect(merged).toMatchObject({ rows: 400n, sharesMerged: 2, sharesExpected: 3, closedBy: 'time' });
  });

  it('refuses a share on a service that does not merge, and an unreadable one on the merger', async () => {
    const share = {
      replica: 'x',
      part: 1,
      detector: 'iris-ks',
      detectorVersion: 1,
      modelName: 'iris',
      windowStartTime: new Date(clock),
      windowEndTime: new Date(clock + SLOT_MS),
      closedBy: 'time',
      summary: Buffer.from('{}'),
    };
    await expect(solo.client.mergeWindowShare(share)).rejects.toMatchObject({
      code: 9,
      message: /does not merge window shares; start the merging replica with --replicas N/,
    });
    await expect(merger.client.mergeWindowShare(share)).rejects.toMatchObject({
      code: 3,
      message: /window summary: schemaVersion undefined is not supported/,
    });
  });
});
