/**
 * References read from stored events (a real file store on loopback): a fit that leaves out
 * events of another width says so in its lineage, or refuses naming the widths seen when
 * none is usable; trailing references refitted on their schedule, a failed refit keeping
 * the previous version and counted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { FileEventStore, silentEventLogger } from '@sightline/events';
import { sampleEvent } from '@sightline/events/testing';
import { memoryLogger } from '@sightline/service-kit/testing';
import { createTensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent, postEvents } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

const T0 = 1_790_000_000_000;
const started = Date.now();
const HOUR = 3_600_000;

/** An iris event whose input has 3 features per row (a model whose input changed shape). */
function narrowEvent(i: number, timeUnixMs: number) {
  return sampleEvent(5000 + i, {
    timeUnixMs,
    inputs: [createTensor('input', 'FP32', [1, 3], new Float32Array([5, 3, 1 + i / 10]))],
  });
}

describe('references from stored events', () => {
  let eventsDir: string;
  let drift: TestDrift;
  /** Moves the service's clock ahead, so a trailing range drops its oldest events. */
  let aheadMs = 0;
  const memory = memoryLogger('warn');

  beforeAll(async () => {
    eventsDir = await mkdtemp(path.join(tmpdir(), 'sightline-drift-stored-'));
    const store = await FileEventStore.open({ directory: eventsDir, logger: silentEventLogger });
    // The first hour: 100 events of 4 features and 7 of 3; the second hour: only 3 features.
    await store.append([
      ...Array.from({ length: 100 }, (_, i) => irisEvent(i, { timeUnixMs: T0 + i * 1000 })),
      ...Array.from({ length: 7 }, (_, i) => narrowEvent(i, T0 + 200_000 + i * 1000)),
      ...Array.from({ length: 5 }, (_, i) => narrowEvent(10 + i, T0 + HOUR + i * 1000)),
      // The last two hours of the live stream, for the trailing references.
      ...Array.from({ length: 240 }, (_, i) =>
        irisEvent(2000 + i, { timeUnixMs: started - 2 * HOUR + i * 30_000 }),
      ),
    ]);
    await store.close();
    // A clock that never repeats a millisecond, so "stored before the detector was created"
    // is never a tie.
    let last = 0;
    drift = await startTestDrift({
      flags: { eventsDir, trailingRefitCheckMs: 100, minTrailingRefitIntervalMs: 500 },
      logger: memory.logger,
      now: () => (last = Math.max(last + 1, Date.now() + aheadMs)),
    });
  });

  afterAll(async () => {
    await drift?.stop();
    if (eventsDir) await rm(eventsDir, { recursive: true, force: true });
  });

  it('counts the events of another width it left out, per width, in the lineage', async () => {
    await drift.client.createDetector({ name: 'mixed', config: { ks: {} } });
    const fitted = await drift.client.fit({
      name: 'mixed',
      referenceEvents: {
        range: { startTime: new Date(T0), endTime: new Date(T0 + HOUR) },
        selector: { modelName: 'iris', tensors: ['input'] },
      },
    });
    expect(fitted.detector?.referenceRows).toBe(100n);
    expect(fitted.detector?.lineage?.referenceSkippedEvents).toEqual({ 'width 3': 7n });
    const { versions } = await drift.client.getDetector({ name: 'mixed' });
    expect(versions[0]?.referenceSkippedEvents).toEqual({ 'width 3': 7n });
  });

  it('refuses a range with no usable event, naming the widths it saw', async () => {
    await drift.client.createDetector({ name: 'none-usable', config: { ks: {} } });
    const error = await drift.client
      .fit({
        name: 'none-usable',
        referenceEvents: {
          range: { startTime: new Date(T0 + HOUR), endTime: new Date(T0 + 2 * HOUR) },
          selector: { modelName: 'iris', tensors: ['input'], columnNames: ['a', 'b', 'c', 'd'] },
        },
      })
      .catch((e: { code: number; details: string }) => e);
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(
        /^reference_events: no readable events \(unreadable: 5 events of 3 elements per row\) of "iris" from \S+Z to \S+Z$/,
      ),
    });
  });

  it("lists a re-created detector's events only, never its deleted predecessor's", async () => {
    const { client } = drift;
    const selector = { modelName: 'iris', tensors: ['input'] };
    const range = { startTime: new Date(T0), endTime: new Date(T0 + HOUR) };
    await client.scoreHistory({ name: 'mixed', range, selector, window: { maxRows: 50, minRows: 10 } });
    expect((await client.listDriftEvents({ name: 'mixed' })).events).toHaveLength(2);
    await client.deleteDetector({ name: 'mixed' });
    expect((await client.listDriftEvents({})).events.map((e) => e.detector)).not.toContain('mixed');
    await client.createDetector({ name: 'mixed', config: { ks: {} } });
    expect((await client.listDriftEvents({ name: 'mixed' })).events).toEqual([]);
    await client.fit({ name: 'mixed', referenceEvents: { range, selector } });
    await client.scoreHistory({ name: 'mixed', range, selector, window: { maxRows: 100, minRows: 10 } });
    const listed = await client.listDriftEvents({ name: 'mixed' });
    expect(listed.events.map((e) => e.rows)).toEqual([100n]);
  });

  /** Polls `check` until it holds, at most `tries` times (no timing is asserted). */
  async function eventually<T>(
    probe: () => Promise<T>,
    check: (value: T) => boolean,
    tries = 300,
  ): Promise<T> {
    let value = await probe();
    for (let i = 0; i < tries && !check(value); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      value = await probe();
    }
    return value;
  }

  it('refits a trailing reference from stored events on its schedule, each refit a new version', async () => {
    const { client } = drift;
    const created = await client.createDetector({
      name: 'trailing',
      config: {
        ks: {},
        trailingReference: {
          selector: { modelName: 'iris', tensors: ['input'] },
          length: { seconds: 3600n },
          refitInterval: { seconds: 1n },
        },
      },
    });
    expect(created.detector?.config?.trailingReference).toMatchObject({
      length: { seconds: 3600n },
      refitInterval: { seconds: 1n },
      offset: { seconds: 0n },
    });
    // The first refit is version 1; the next ones read the same events (no event entered or
    // left the hour) and save nothing, counted as unchanged.
    const unchanged =
      /sightline_drift_trailing_refits_total\{detector="trailing",outcome="unchanged"[^}]*\} ([0-9]+)/;
    await eventually(
      async () => (await fetch(`${drift.httpBase}/metrics`)).text(),
      (text) => Number(unchanged.exec(text)?.[1] ?? 0) >= 1,
    );
    // Two minutes on, the hour has dropped its four oldest events: a new reference, a new version.
    aheadMs += 120_000;
    const got = await eventually(
      () => client.getDetector({ name: 'trailing' }),
      (g) => (g.detector?.version ?? 0) >= 2,
    );
    expect(got.detector?.version).toBeGreaterThanOrEqual(2);
    const digests = got.versions.map((v) => v.referenceSha256);
    expect(new Set(digests).size).toBe(digests.length);
    const [newest, previous] = got.versions;
    expect(newest?.creator).toBe('sightline-drift (trailing reference)');
    expect(newest?.referenceSource).toMatch(
      /^trailing reference: events of "iris" from \S+ to \S+ \(offset 0 ms, length 3600000 ms, refit every 1000 ms\)$/,
    );
    // The last hour of the stream: about 120 events, one row each.
    expect(Number(newest?.referenceRows)).toBeGreaterThan(100);
    expect(newest!.createTime!.getTime()).toBeGreaterThan(previous!.createTime!.getTime());

    // Live windows score with the newest version, as after a manual Fit.
    await client.attachDetector({
      name: 'trailing',
      selector: { modelName: 'iris', tensors: ['input'] },
      window: { maxRows: 20, minRows: 20 },
    });
    const live = Array.from({ length: 20 }, (_, i) => irisEvent(9000 + i, { id: `live-${i}` }));
    expect((await postEvents(`${drift.httpBase}/events`, live, 'batch')).status).toBe(202);
    await drift.service.idle();
    const [event] = (await client.listDriftEvents({ name: 'trailing' })).events;
    expect(event).toMatchObject({ origin: 'live', rows: 20n });
    expect(event!.detectorVersion).toBeGreaterThanOrEqual(got.detector!.version);
  });

  it('keeps the previous version when a refit fails, and counts the failure', async () => {
    const { client } = drift;
    await client.createDetector({
      name: 'trailing-empty',
      config: {
        ks: {},
        trailingReference: {
          selector: { modelName: 'nobody', tensors: ['input'] },
          length: { seconds: 3600n },
          refitInterval: { seconds: 1n },
        },
      },
    });
    // The first scheduled refit fails (no events of "nobody"); a manual fit gives version 1.
    await client.fit({ name: 'trailing-empty', data: tensorMessages(irisTensor(100, 1)) });
    const failed =
      /sightline_drift_trailing_refits_total\{detector="trailing-empty",outcome="failed",reason="no_events"[^}]*\} ([0-9]+)/;
    const metrics = await eventually(
      async () => (await fetch(`${drift.httpBase}/metrics`)).text(),
      (text) => Number(failed.exec(text)?.[1] ?? 0) >= 2,
    );
    expect(Number(failed.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    // The same failure again is counted, not logged again.
    const logged = memory.lines.filter((line) =>
      String(line.msg).startsWith('trailing reference of detector "trailing-empty" not refitted (no_events)'),
    );
    expect(logged).toHaveLength(1);
    // The log line says where nothing was found.
    expect(String(logged[0]?.err && (logged[0].err as { message?: string }).message)).toMatch(
      /^reference_events: no readable events of "nobody" from \S+Z to \S+Z \(none stored in the range/,
    );
    const got = await client.getDetector({ name: 'trailing-empty' });
    expect(got.detector?.version).toBe(1);
  });

  it('refuses a trailing reference with no selector to read from', async () => {
    const error = await drift.client
      .createDetector({
        name: 'trailing-nowhere',
        config: { trailingReference: { length: { seconds: 60n } } },
      })
      .catch((e: { code: number; details: string }) => e);
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/config\.trailing_reference\.selector: required/),
    });
    await expect(
      drift.client.createDetector({
        name: 'trailing-often',
        config: {
          ks: {},
          trailingReference: {
            selector: { modelName: 'iris', tensors: ['input'] },
            length: { seconds: 60n },
            refitInterval: { nanos: 1_000_000 },
          },
        },
      }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(
        /^config\.trailing_reference\.refit_interval: 1 ms; at least 500 ms \(--min-trailing-refit-interval-ms/,
      ),
    });
  });

  it('keeps the schedule across a restart: due an interval after the newest version, not at start', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sightline-drift-trailing-restart-'));
    let aheadMs = 0;
    const start = () =>
      startTestDrift({
        dataDir,
        // Checked by the test's own calls below, never by the timer.
        flags: { eventsDir, trailingRefitCheckMs: HOUR },
        now: () => Date.now() + aheadMs,
      });
    const due = async (service: TestDrift) => {
      service.service.dataPlane.refitDue();
      await service.service.dataPlane.refitsSettled();
      return (await service.client.getDetector({ name: 'hourly' })).detector?.version;
    };
    let first: TestDrift | undefined;
    let second: TestDrift | undefined;
    try {
      first = await start();
      await first.client.createDetector({
        name: 'hourly',
        config: {
          ks: {},
          trailingReference: {
            selector: { modelName: 'iris', tensors: ['input'] },
            // 90 minutes: an hour on, the range has lost the events of its first hour (a
            // reference that did not change would save no version).
            length: { seconds: 5400n },
            refitInterval: { seconds: 3600n },
          },
        },
      });
      expect(await due(first)).toBe(1);
      await first.stop();
      first = undefined;
      second = await start();
      // Restarted within the hour: nothing is due, the version stays.
      expect(await due(second)).toBe(1);
      aheadMs = HOUR + 60_000;
      expect(await due(second)).toBe(2);
    } finally {
      await first?.stop();
      await second?.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
