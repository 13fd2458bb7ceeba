/**
 * --cbpe-f1-interval-max-classes: a window of 20 classes has CBPE's macro F1 interval only when
 * the bound is raised to 20; saved buckets keep their second moments through a restore, and a
 * window kept under a lower bound gives none rather than a wrong one.
 */
import { estimateCbpe, normalQuantile, seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { metricsConfigSchema } from '../config.js';
import type { JoinedPair, PredictionRecord } from '../domain/records.js';
import { BucketSummary } from './bucket-summary.js';
import { summaryMetrics } from './window-metrics.js';
import { resolveWindowOptions } from './window-options.js';

const K = 20;
const CLASSES = Array.from({ length: K }, (_, c) => `c${c}`);
const SERIES = { modelName: 'many', modelVersion: '1', node: '' };
const T0 = Date.UTC(2026, 0, 1);

/** 300 rows: probabilities a softmax of normal logits, the truth drawn from them, the prediction their argmax. */
function rows(): { record: PredictionRecord; pair: JoinedPair }[] {
  const random = seededRandom(20);
  return Array.from({ length: 300 }, (_, i) => {
    const logits = Array.from({ length: K }, () => 1.5 * random.nextNormal());
    const exp = logits.map((l) => Math.exp(l));
    const total = exp.reduce((a, b) => a + b, 0);
    const p = exp.map((e) => e / total);
    let u = random.nextFloat();
    let truth = 0;
    while (truth < K - 1 && u >= p[truth]!) u -= p[truth++]!;
    const predicted = logits.indexOf(Math.max(...logits));
    const record: PredictionRecord = {
      ...SERIES,
      eventId: `e${i}`,
      requestId: `r${i}`,
      graph: '',
      outputName: 'out',
      timeMs: T0 + i * 1000,
      task: 'classification',
      classes: CLASSES,
      rows: [{ row: 0, label: CLASSES[predicted]!, probabilities: p }],
    };
    const pair: JoinedPair = {
      series: SERIES,
      eventId: record.eventId,
      requestId: record.requestId,
      predictionMs: record.timeMs,
      joinedMs: record.timeMs + 60_000,
      task: 'classification',
      classes: CLASSES,
      prediction: record.rows[0]!,
      truth: { kind: 'label', label: CLASSES[truth]! },
    };
    return { record, pair };
  });
}

function bucket(cbpeF1IntervalMaxClasses?: number): BucketSummary {
  const options = resolveWindowOptions(
    cbpeF1IntervalMaxClasses === undefined ? {} : { cbpeF1IntervalMaxClasses },
  ).summary;
  const s = BucketSummary.empty('classification', CLASSES, options);
  for (const { record, pair } of rows()) {
    s.addPrediction(record);
    s.addPair(pair);
  }
  return s;
}

describe('--cbpe-f1-interval-max-classes', () => {
  it('is 16 by default: a 20-class window has no macro F1 interval', () => {
    expect(metricsConfigSchema.parse({}).cbpeF1IntervalMaxClasses).toBe(16);
    const cbpe = summaryMetrics(bucket(), 1).cbpe!;
    expect(cbpe.f1Macro).toBeGreaterThan(0);
    expect(cbpe.f1MacroInterval).toBeUndefined();
    expect(cbpe.gap?.f1MacroInterval).toBeUndefined();
  });

  it('raised to 20, gives the 20-class window its interval (± z × libs/stats’ standard error), and its gap’s', () => {
    const raised = bucket(20);
    const cbpe = summaryMetrics(raised, 1).cbpe!;
    const se = estimateCbpe(raised.cbpe!).f1MacroStandardError;
    const z = normalQuantile(0.975);
    expect(se).toBeGreaterThan(0);
    expect(cbpe.f1MacroInterval!.method).toBe('delta');
    expect(cbpe.f1MacroInterval!.low).toBeCloseTo(Math.max(cbpe.f1Macro - z * se, 0), 12);
    expect(cbpe.f1MacroInterval!.high).toBeCloseTo(Math.min(cbpe.f1Macro + z * se, 1), 12);
    expect(cbpe.gap!.f1MacroInterval).toBeDefined();
  });

  it('keeps a saved bucket’s second moments through a restore; a window under a lower bound gives none', () => {
    const raised = bucket(20);
    const expected = summaryMetrics(raised, 1).cbpe!.f1MacroInterval!;
    const saved = JSON.parse(JSON.stringify(raised.toJSON()));
    expect(summaryMetrics(BucketSummary.fromJSON(saved), 1).cbpe!.f1MacroInterval).toEqual(expected);
    const sameBound = BucketSummary.empty(
      'classification',
      CLASSES,
      resolveWindowOptions({ cbpeF1IntervalMaxClasses: 20 }).summary,
    );
    expect(summaryMetrics(sameBound.mergeSaved(saved), 1).cbpe!.f1MacroInterval).toEqual(expected);
    const lower = BucketSummary.empty('classification', CLASSES, resolveWindowOptions().summary);
    expect(summaryMetrics(lower.mergeSaved(saved), 1).cbpe!.f1MacroInterval).toBeUndefined();
  });

  it('is at most 64, refused by name above it', () => {
    expect(() => resolveWindowOptions({ cbpeF1IntervalMaxClasses: 65 })).toThrow(
      'cbpeF1IntervalMaxClasses: expected an integer in [0, 64] (--cbpe-f1-interval-max-classes), got 65',
    );
    expect(metricsConfigSchema.safeParse({ cbpeF1IntervalMaxClasses: 65 }).success).toBe(false);
    expect(metricsConfigSchema.parse({ cbpeF1IntervalMaxClasses: '20' }).cbpeF1IntervalMaxClasses).toBe(20);
  });
});
