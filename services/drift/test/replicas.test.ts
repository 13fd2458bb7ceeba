/**
 * Scaling out: three drift services on loopback, events spread over them through POST
 * /events. The two non-merging replicas send each aligned window as a summary to the merger
 * (--merge-into), which scores the merged window (--replicas 3) once every share arrived:
 * its DriftEvent equals, within the stated bound, that of one service given every event.
 * A stopped replica: the window is scored after --merge-grace-ms with 2 of 3 shares, said so.
 */
import { WindowSummary } from '@sightline/detect';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WindowShareSender } from '../src/detectors/window-share-sender.js';
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

  /** A valid share of the slot open now: 10 rows of 4 numeric columns from replica `replica`. */
  function validShare(replica: string, shift = 0) {
    const start = Math.floor(clock / SLOT_MS) * SLOT_MS;
    const values = Float64Array.from({ length: 40 }, (_, i) => (i % 7) + shift);
    const summary = new WindowSummary({ kinds: ['numeric', 'numeric', 'numeric', 'numeric'] }).add({
      values,
      rows: 10,
      timeMs: start + 1,
      requestId: `${replica}-1`,
    });
    return {
      replica,
      part: 1,
      detector: 'iris-ks',
      detectorVersion: 1,
      modelName: 'iris',
      modelVersion: '',
      windowStartTime: new Date(start),
      windowEndTime: new Date(start + SLOT_MS),
      closedBy: 'time',
      summary: Buffer.from(JSON.stringify(summary.toJSON())),
    };
  }
  const withSummary = (
    share: ReturnType<typeof validShare>,
    edit: (json: Record<string, unknown>) => void,
  ) => {
    const json = JSON.parse(share.summary.toString()) as Record<string, unknown>;
    edit(json);
    return { ...share, summary: Buffer.from(JSON.stringify(json)) };
  };

  it('a service that does not merge answers FAILED_PRECONDITION before reading the share; the merger refuses an unreadable one', async () => {
    const unreadable = { ...validShare('x'), replica: '', summary: Buffer.from('{}') };
    await expect(solo.client.mergeWindowShare(unreadable)).rejects.toMatchObject({
      code: 9,
      message: /does not merge window shares; start the merging replica with --replicas N/,
    });
    await expect(
      merger.client.mergeWindowShare({ ...validShare('x'), summary: Buffer.from('{}') }),
    ).rejects.toMatchObject({ code: 3, message: /summary: no columns; "iris-ks" scores 4/ });
  });

  it('refuses, naming the field and rule, a share it could never merge; an unknown detector leaves no metric series', async () => {
    const share = validShare('x');
    const start = share.windowStartTime.getTime();
    const refusals: [object, number, RegExp][] = [
      [{ detector: 'nope' }, 5, /detector: "nope" is not attached on this merger/],
      [{ detectorVersion: 2 }, 9, /detector_version: .*version 2 .*this merger scores version 1/],
      [{ modelName: 'other' }, 3, /model_name: "other" is not the model "iris"/],
      [
        { windowStartTime: new Date(start + 1) },
        3,
        /window_start_time: .* is not aligned to the window length of 60000 ms/,
      ],
      [{ windowEndTime: new Date(start) }, 3, /window_end_time: .* must be the window start plus its length/],
      [
        { windowEndTime: new Date(start - 1), closedBy: 'rows' },
        3,
        /window_end_time: .* must be within the window/,
      ],
      [
        {
          windowStartTime: new Date(253_402_200_000_000),
          windowEndTime: new Date(253_402_200_000_000 + SLOT_MS),
        },
        3,
        /window_end_time: 9999-.* is later than now plus the window length and --merge-grace-ms/,
      ],
      [
        { windowStartTime: new Date(start - 10 * SLOT_MS), windowEndTime: new Date(start - 9 * SLOT_MS) },
        3,
        /window_end_time: .* is earlier than now less --merge-grace-ms and 2 window lengths/,
      ],
      [
        withSummary(share, (j) => {
          j.rows = 1e15;
        }),
        3,
        /window summary: rows 1000000000000000 disagrees with column 0, which holds 10 values/,
      ],
      [
        withSummary(share, (j) => {
          j.kinds = ['numeric'];
        }),
        3,
        /summary: 1 columns; "iris-ks" scores 4/,
      ],
    ];
    for (const [edit, code, message] of refusals) {
      await expect(merger.client.mergeWindowShare({ ...share, ...edit })).rejects.toMatchObject({
        code,
        message,
      });
    }
    const metrics = await (await fetch(`${merger.httpBase}/metrics`)).text();
    expect(metrics).not.toMatch(/detector="nope"/);
  });

  it('two replicas with one --replica-id: a retry is a duplicate, other rows under the same id are ALREADY_EXISTS, counted', async () => {
    const share = validShare('twin');
    expect((await merger.client.mergeWindowShare(share)).outcome).toBe('merged');
    expect((await merger.client.mergeWindowShare(share)).outcome).toBe('duplicate');
    await expect(merger.client.mergeWindowShare(validShare('twin', 0.5))).rejects.toMatchObject({
      code: 6,
      message: /replica: "twin" already sent part 1 .* the same replica id/,
    });
    const metrics = await (await fetch(`${merger.httpBase}/metrics`)).text();
    expect(metrics).toMatch(/sightline_drift_windows_dropped_total\{[^}]*reason="share_conflict"[^}]*\} 1/);
  });

  it('the sender does not retry a refusal of the share: dropped and counted at once, each reason logged once', async () => {
    const logger = silentLogger();
    const warn = vi.spyOn(logger, 'warn');
    const waits: number[] = [];
    const dropped: string[] = [];
    // solo does not merge: FAILED_PRECONDITION, which no retry changes.
    const sender = new WindowShareSender({
      address: solo.service.grpcAddress.replace('localhost', '127.0.0.1'),
      retries: 4,
      logger,
      onDropped: (_, reason) => dropped.push(reason),
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const share = {
      replica: 'b',
      part: 1,
      detector: 'iris-ks',
      detectorVersion: 1,
      modelName: 'iris',
      modelVersion: '',
      windowStartMs: 0,
      windowEndMs: SLOT_MS,
      closeReason: 'time' as const,
      summary: new WindowSummary({ kinds: ['numeric'] }).toJSON(),
    };
    sender.send(share);
    sender.send({ ...share, part: 2 });
    await sender.idle();
    sender.close();
    expect(waits).toEqual([]);
    expect(dropped).toHaveLength(2);
    expect(dropped[0]).toMatch(/does not merge window shares/);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('holds at most --max-merge-windows windows waiting for shares: RESOURCE_EXHAUSTED naming the flag', async () => {
    const small = await startTestDrift({ now, flags: { replicas: 2, maxMergeWindows: 1, replicaId: 'm' } });
    try {
      await prepare(small);
      const share = validShare('x');
      expect((await small.client.mergeWindowShare(share)).outcome).toBe('merged');
      const start = share.windowStartTime.getTime();
      await expect(
        small.client.mergeWindowShare({
          ...share,
          windowStartTime: new Date(start - SLOT_MS),
          windowEndTime: new Date(start),
        }),
      ).rejects.toMatchObject({ code: 8, message: /at most 1 \(--max-merge-windows\)/ });
    } finally {
      await small.stop();
    }
  });

  it('refuses to start as its own merger with --replicas 1', async () => {
    await expect(
      startTestDrift({ now, flags: { mergeInto: 'self.drift:8003', replicaId: 'self' } }),
    ).rejects.toThrow(/--merge-into self.drift:8003 names this replica .* but --replicas is 1/);
  });
});
