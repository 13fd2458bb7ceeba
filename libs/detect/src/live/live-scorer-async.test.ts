import { sampleEvent } from '@sightline/events/testing';
import { describe, expect, it } from 'vitest';
import { DriftKinds } from '../kinds/drift-kinds.js';
import type { DriftResult } from '../kinds/drift-result.js';
import type { FeatureTable } from '../table/feature-table.js';
import { tableFromEvents } from '../table/table-from-events.js';
import { ArrayEventReader } from '../testing/array-event-reader.js';
import { referenceKernels } from '../testing/reference-kernels.js';
import { runHistory } from './history-run.js';
import { LiveScorer } from './live-scorer.js';
import { type ScoringDetector, scoringDetector, type WindowResult } from './window-result.js';

const kinds = new DriftKinds(referenceKernels);
const selection = { side: 'request' as const, tensor: 'input' };
const reference = tableFromEvents(
  Array.from({ length: 20 }, (_, i) => sampleEvent(i)),
  selection,
).table!;
const T0 = 1_764_000_000_000;

/** A detector whose async scores finish when the test says, in any order. */
function deferredDetector() {
  const sync = scoringDetector('iris-drift', 1, kinds.get('ks').fit(reference), kinds.get('ks'));
  const calls: { table: FeatureTable; finish: (fail?: Error) => void }[] = [];
  const detector: ScoringDetector<DriftResult> = {
    ...sync,
    scoreAsync: (table) =>
      new Promise((resolve, reject) => {
        calls.push({ table, finish: (fail) => (fail ? reject(fail) : resolve(sync.score(table))) });
      }),
  };
  return { sync, detector, calls };
}

const attachment = {
  ...selection,
  detector: 'iris-drift',
  modelName: 'iris',
  window: { maxRows: 4, minRows: 2, maxDurationMs: 1000 },
};

describe('LiveScorer with an async scoring path', () => {
  it('scores windows in parallel and delivers them in close order, equal to the synchronous results', async () => {
    const { sync, detector, calls } = deferredDetector();
    const results: WindowResult<DriftResult>[] = [];
    const unscored: [string, unknown][] = [];
    const scorer = new LiveScorer<DriftResult>({
      detectors: { get: () => detector },
      onWindowResult: (r) => results.push(r),
      onUnscored: (_d, reason, _m, error) => unscored.push([reason, error]),
      clock: () => 0,
    });
    scorer.setAttachments([attachment]);
    for (let i = 0; i < 12; i++) scorer.accept(sampleEvent(i));
    expect(calls).toHaveLength(3);
    expect(scorer.scoring).toBe(3);
    // The third and second finish first, the first fails: the rest waits for the first.
    calls[2]!.finish();
    calls[1]!.finish();
    await new Promise((r) => setTimeout(r, 0));
    expect(results).toEqual([]);
    const refused = new Error('queue full');
    calls[0]!.finish(refused);
    await scorer.settled();
    expect(results.map((r) => r.sequence)).toEqual([2, 3]);
    expect(results[0]!.result).toEqual(sync.score(calls[1]!.table));
    expect(unscored).toEqual([['score-failed', refused]]);
    expect(scorer.unscoredCounts()).toEqual([{ detector: 'iris-drift', reason: 'score-failed', count: 1 }]);
    expect(scorer.scoring).toBe(0);
  });
});

describe('runHistory with an async scoring path', () => {
  it('yields the same items, in the same order, as the synchronous run', async () => {
    const sync = scoringDetector('iris-drift', 1, kinds.get('ks').fit(reference), kinds.get('ks'));
    let concurrent = 0;
    let most = 0;
    const detector: ScoringDetector<DriftResult> = {
      ...sync,
      scoreAsync: async (table) => {
        concurrent++;
        most = Math.max(most, concurrent);
        await new Promise((r) => setTimeout(r, 1));
        concurrent--;
        return sync.score(table);
      },
    };
    const events = Array.from({ length: 40 }, (_, i) => sampleEvent(i, { timeUnixMs: T0 + i }));
    const run = async (d: ScoringDetector<DriftResult>) => {
      const items = [];
      for await (const item of runHistory({
        reader: new ArrayEventReader(events),
        detector: d,
        attachment: { ...attachment, window: { maxRows: 3, minRows: 2 } },
        fromUnixMs: T0,
        toUnixMs: T0 + 100,
        pageSize: 10,
        windowsInFlight: 3,
      }))
        items.push(item);
      return items;
    };
    const expected = await run(sync);
    expect(await run(detector)).toEqual(expected);
    expect(most).toBe(3);
  });
});
