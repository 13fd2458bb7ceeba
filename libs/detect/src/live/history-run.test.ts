import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileEventStore, FileStoreEventReader } from '@sightline/events';
import { RecordingEventLogger, sampleEvent } from '@sightline/events/testing';
import { describe, expect, it } from 'vitest';
import { DriftKinds } from '../kinds/drift-kinds.js';
import type { DriftResult } from '../kinds/drift-result.js';
import { tableFromEvents } from '../table/table-from-events.js';
import { ArrayEventReader } from '../testing/array-event-reader.js';
import { referenceKernels } from '../testing/reference-kernels.js';
import { type HistoryItem, runHistory } from './history-run.js';
import { scoringDetector } from './window-result.js';

const kinds = new DriftKinds(referenceKernels);
const selection = { side: 'request' as const, tensor: 'input' };
const reference = tableFromEvents(
  Array.from({ length: 20 }, (_, i) => sampleEvent(i)),
  selection,
).table!;
const detector = scoringDetector('iris-drift', 3, kinds.get('ks').fit(reference), kinds.get('ks'));
const T0 = 1_764_000_000_000;

async function collect(items: AsyncIterable<HistoryItem<DriftResult>>): Promise<HistoryItem<DriftResult>[]> {
  const out: HistoryItem<DriftResult>[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('runHistory', () => {
  it('counts stored events wider (or narrower) than the fitted width as width, never cutting them', async () => {
    const width3 = (i: number, width: number) =>
      sampleEvent(i, {
        timeUnixMs: T0 + i,
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1, width],
            data: Float32Array.from({ length: width }, (_, j) => (i % 5) + j),
          },
        ],
      });
    const ref = tableFromEvents(
      Array.from({ length: 20 }, (_, i) => width3(i, 3)),
      selection,
    ).table!;
    const narrow = scoringDetector('d3', 1, kinds.get('ks').fit(ref), kinds.get('ks'));
    const events = [width3(0, 3), width3(1, 4), width3(2, 4), width3(3, 2), width3(4, 3)];
    const items = await collect(
      runHistory({
        reader: new ArrayEventReader(events),
        detector: narrow,
        attachment: { ...selection, detector: 'd3', modelName: 'iris', window: { maxRows: 10, minRows: 1 } },
        fromUnixMs: T0,
        toUnixMs: T0 + 100,
      }),
    );
    const windows = items.flatMap((i) => (i.type === 'window' ? [i.window] : []));
    expect(windows.map((w) => w.rows)).toEqual([2]);
    const progress = items.flatMap((i) => (i.type === 'progress' ? [i.progress] : []));
    expect(progress.at(-1)!.unreadable).toEqual({ width: 3 });
  });

  it('pages through the range (events sharing a millisecond across pages read once) and windows by event time', async () => {
    // 30 events, three per millisecond, so pages of 7 end inside a millisecond.
    const events = Array.from({ length: 30 }, (_, i) =>
      sampleEvent(i, { timeUnixMs: T0 + Math.floor(i / 3) }),
    );
    events.push(sampleEvent(99, { modelName: 'other', timeUnixMs: T0 + 1 }));
    const reader = new ArrayEventReader(events);
    const items = await collect(
      runHistory({
        reader,
        detector,
        attachment: {
          ...selection,
          detector: 'iris-drift',
          modelName: 'iris',
          window: { maxRows: 12, minRows: 2 },
        },
        fromUnixMs: T0,
        toUnixMs: T0 + 100,
        pageSize: 7,
      }),
    );
    const windows = items.flatMap((i) => (i.type === 'window' ? [i.window] : []));
    expect(windows.map((w) => [w.rows, w.closeReason, w.detectorVersion])).toEqual([
      [12, 'rows', 3],
      [12, 'rows', 3],
      [6, 'flush', 3],
    ]);
    expect(windows.flatMap((w) => w.requestIds)).toEqual(events.slice(0, 30).map((e) => e.requestId));
    const progress = items.flatMap((i) => (i.type === 'progress' ? [i.progress] : []));
    expect(progress.at(-1)).toMatchObject({ eventsRead: 30, estimatedTotal: 30, fraction: 1 });
    expect(progress.length).toBeGreaterThan(3);
    expect(reader.queries.every((q) => q.modelName === 'iris' && q.order === 'oldest-first')).toBe(true);
  });

  it('refuses a page of events all in one millisecond; and a bad range', async () => {
    const events = Array.from({ length: 5 }, (_, i) => sampleEvent(i, { timeUnixMs: T0 }));
    const options = {
      reader: new ArrayEventReader(events),
      detector,
      attachment: { ...selection, detector: 'iris-drift', modelName: 'iris' },
      fromUnixMs: T0,
      toUnixMs: T0 + 10,
      pageSize: 2,
    };
    await expect(collect(runHistory(options))).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    await expect(collect(runHistory({ ...options, toUnixMs: T0 }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('runs over the file store: every stored event once, duplicates of a sink retry included', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'detect-history-'));
    const writer = await FileEventStore.open({
      directory,
      logger: new RecordingEventLogger(),
      retentionCheckIntervalMs: 0,
    });
    try {
      const events = Array.from({ length: 40 }, (_, i) =>
        sampleEvent(i, { timeUnixMs: T0 + Math.floor(i / 4) }),
      );
      await writer.append(events.slice(0, 25));
      await writer.append(events.slice(20));
      const items = await collect(
        runHistory({
          reader: new FileStoreEventReader(writer, directory),
          detector,
          attachment: {
            ...selection,
            detector: 'iris-drift',
            modelName: 'iris',
            window: { maxRows: 15, minRows: 1 },
          },
          fromUnixMs: T0,
          toUnixMs: T0 + 1000,
          pageSize: 9,
        }),
      );
      const windows = items.flatMap((i) => (i.type === 'window' ? [i.window] : []));
      expect(windows.map((w) => w.rows)).toEqual([15, 15, 10]);
      expect(windows.flatMap((w) => w.requestIds)).toEqual(events.map((e) => e.requestId));
    } finally {
      await writer.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
