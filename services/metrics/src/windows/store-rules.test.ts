/**
 * The windows follow the store's record and series-key rules (src/domain): a record the store
 * would refuse is refused here with the same sentence, and a segment value whose key the store
 * would refuse is pooled under the overflow value, so every dirty bucket can be stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { classRecord, SERIES, T0 } from '../../test/window-records.js';
import { DEFAULT_RECORD_LIMITS, predictionRecordProblem } from '../domain/record-rules.js';
import { SqliteMetricsStore } from '../store/sqlite/sqlite-metrics-store.js';
import { MetricWindows } from './metric-windows.js';
import { OVERFLOW_SEGMENT_VALUE } from './window-options.js';

const withProbabilities = (probabilities: number[]) => {
  const record = classRecord({ predicted: 0, truth: 0, minute: 0 }, 1);
  return { ...record, rows: [{ ...record.rows[0]!, probabilities }] };
};

describe('MetricWindows and the store rules', () => {
  it("refuses a record the store would refuse, with the store's sentence", () => {
    const windows = new MetricWindows({});
    for (const record of [
      withProbabilities([Number.NaN, 0.5, 0.5]),
      withProbabilities([1.5, 0, 0]),
      { ...classRecord({ predicted: 0, truth: 0, minute: 0 }, 2), modelName: 'iris\uD800' },
    ]) {
      const problem = predictionRecordProblem(record);
      expect(problem).toBeDefined();
      const error = (() => {
        try {
          windows.addPrediction(record);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toBe(problem!.message);
    }
    expect(windows.takeDirty()).toEqual([]);
  });

  it('pools a segment value whose key would be too long, and the store takes every bucket', async () => {
    // Control characters are six characters each once JSON-escaped: a legal model name of 150
    // of them and a legal segment value of 100 quotes make a key past 1,024 characters.
    const series = { ...SERIES, modelName: '\u0001'.repeat(150) };
    const windows = new MetricWindows({ segmentNames: ['country'] });
    const long = classRecord({ predicted: 0, truth: 0, minute: 0, segment: '"'.repeat(100) }, 1, series);
    const short = classRecord({ predicted: 1, truth: 1, minute: 0, segment: 'fr' }, 2, series);
    windows.addPrediction(long);
    windows.addPrediction(short);
    const dirty = windows.takeDirty();
    const segments = dirty.filter((d) => d.segment).map((d) => d.segment!.value);
    expect(new Set(segments)).toEqual(new Set([OVERFLOW_SEGMENT_VALUE, 'fr']));
    expect(windows.segmentOverflow(series, 'country').predictionRows).toBe(1);
    for (const d of dirty)
      expect(d.seriesKey.length).toBeLessThanOrEqual(DEFAULT_RECORD_LIMITS.maxSeriesKeyLength);
    const dir = await mkdtemp(path.join(tmpdir(), 'sightline-windows-store-'));
    const store = await SqliteMetricsStore.open({ file: path.join(dir, 'metrics.sqlite') });
    try {
      await store.putSummaries(
        dirty.map((d) => ({
          seriesKey: d.seriesKey,
          bucketStartMs: d.bucketStartMs,
          summary: JSON.stringify(d.summary),
        })),
      );
      expect(await store.summaries(dirty[0]!.seriesKey, T0 - 3_600_000, T0 + 3_600_000)).not.toEqual([]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
