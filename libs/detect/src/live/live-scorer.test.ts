import type { InferenceEvent } from '@sightline/events';
import { sampleEvent } from '@sightline/events/testing';
import { describe, expect, it } from 'vitest';
import { DriftKinds } from '../kinds/drift-kinds.js';
import type { DriftResult } from '../kinds/drift-result.js';
import { tableFromEvents } from '../table/table-from-events.js';
import { referenceKernels } from '../testing/reference-kernels.js';
import type { Attachment } from './attachment.js';
import { LiveScorer } from './live-scorer.js';
import { type ScoringDetector, scoringDetector, type WindowResult } from './window-result.js';

const kinds = new DriftKinds(referenceKernels);
const names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const reference = tableFromEvents(
  Array.from({ length: 20 }, (_, i) => sampleEvent(i)),
  { side: 'request', tensor: 'input', columnNames: names },
).table!;

function detector(version: number, kind = 'ks'): ScoringDetector<DriftResult> {
  return scoringDetector('iris-drift', version, kinds.get(kind).fit(reference), kinds.get(kind));
}

const attachment: Attachment = {
  detector: 'iris-drift',
  modelName: 'iris',
  side: 'request',
  tensor: 'input',
  columnNames: names,
  window: { maxRows: 5, minRows: 2, maxDurationMs: 1000 },
};

function setup(current: { d: ScoringDetector<DriftResult> | undefined }) {
  const results: WindowResult<DriftResult>[] = [];
  const clock = { now: 0 };
  const scorer = new LiveScorer<DriftResult>({
    detectors: { get: (name) => (name === 'iris-drift' ? current.d : undefined) },
    onWindowResult: (r) => results.push(r),
    clock: () => clock.now,
    maxRequestIdsPerWindow: 4,
  });
  scorer.setAttachments([attachment]);
  return { scorer, results, clock };
}

const wide = (i: number): InferenceEvent =>
  sampleEvent(i, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: new Float32Array(5) }] });

describe('LiveScorer', () => {
  it('windows by count and time, per model version, with request ids or their count', () => {
    const { scorer, results, clock } = setup({ d: detector(1) });
    for (let i = 0; i < 12; i++) scorer.accept(sampleEvent(i));
    scorer.accept(sampleEvent(50, { modelVersion: '2' }));
    scorer.accept(sampleEvent(51, { modelName: 'other' }));
    expect(results.map((r) => [r.sequence, r.rows, r.closeReason, r.modelVersion, r.requestCount])).toEqual([
      [1, 5, 'rows', '1', 5],
      [2, 5, 'rows', '1', 5],
    ]);
    expect(results[0]!.requestIds).toEqual([]);
    expect(results[0]!.detectorVersion).toBe(1);
    expect(results[0]!.result.features.map((f) => f.name)).toEqual(names);
    clock.now = 1000;
    scorer.tick();
    expect(results.slice(2).map((r) => [r.rows, r.closeReason, r.modelVersion, r.requestIds])).toEqual([
      [2, 'time', '1', ['req-0000000a', 'req-0000000b']],
    ]);
    expect(scorer.openWindows()).toEqual([
      { detector: 'iris-drift', modelName: 'iris', modelVersion: '2', rows: 1 },
    ]);
  });

  it('counts unreadable events per reason and never throws', () => {
    const current: { d: ScoringDetector<DriftResult> | undefined } = { d: detector(1) };
    const { scorer } = setup(current);
    scorer.accept(wide(1));
    scorer.accept(sampleEvent(2, { inputs: [] }));
    current.d = undefined;
    scorer.accept(sampleEvent(3));
    expect(scorer.unscoredCounts()).toEqual([
      { detector: 'iris-drift', reason: 'width', count: 1 },
      { detector: 'iris-drift', reason: 'missing-tensor', count: 1 },
      { detector: 'iris-drift', reason: 'no-detector', count: 1 },
    ]);
  });

  it('counts events wider than an unnamed 4-feature detector as width, never cutting them', () => {
    const unnamedDetector = scoringDetector(
      'iris-drift',
      1,
      kinds.get('ks').fit(
        tableFromEvents(
          Array.from({ length: 20 }, (_, i) => sampleEvent(i)),
          { side: 'request', tensor: 'input' },
        ).table!,
      ),
      kinds.get('ks'),
    );
    const unnamed = setup({ d: unnamedDetector });
    unnamed.scorer.setAttachments([
      { ...attachment, columnNames: undefined, window: { maxRows: 2, minRows: 2 } },
    ]);
    const sized = (i: number, width: number) =>
      sampleEvent(i, {
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, width], data: new Float32Array(width).fill(5) },
        ],
      });
    unnamed.scorer.accept(sized(1, 8));
    unnamed.scorer.accept(sized(2, 5));
    unnamed.scorer.accept(sized(3, 3));
    unnamed.scorer.accept(sampleEvent(4));
    unnamed.scorer.accept(sampleEvent(5));
    expect(unnamed.results.map((r) => r.rows)).toEqual([2]);
    expect(unnamed.scorer.unscoredCounts()).toEqual([{ detector: 'iris-drift', reason: 'width', count: 3 }]);
  });

  it('a window the kind refuses is counted as score-failed', () => {
    const { scorer, results } = setup({ d: detector(1, 'cvm') });
    scorer.setAttachments([{ ...attachment, window: { maxRows: 1, minRows: 1 } }]);
    scorer.accept(sampleEvent(1));
    expect(results).toEqual([]);
    expect(scorer.unscoredCounts()).toEqual([{ detector: 'iris-drift', reason: 'score-failed', count: 1 }]);
  });

  it('a new detector version closes the old window with the old version', () => {
    const current = { d: detector(1) };
    const { scorer, results } = setup(current);
    for (let i = 0; i < 3; i++) scorer.accept(sampleEvent(i));
    current.d = detector(2);
    scorer.accept(sampleEvent(3));
    expect(results.map((r) => [r.detectorVersion, r.rows, r.closeReason])).toEqual([[1, 3, 'flush']]);
  });

  it('after a refit to another width, events of the old width are counted as width', () => {
    const event = (i: number, width: number): InferenceEvent =>
      sampleEvent(i, {
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1, width],
            data: Float32Array.from({ length: width }, (_, j) => (i % 7) + j),
          },
        ],
      });
    const fitOn = (width: number) =>
      tableFromEvents(
        Array.from({ length: 20 }, (_, i) => event(i, width)),
        { side: 'request', tensor: 'input' },
      ).table!;
    const ks = kinds.get('ks');
    const current = { d: scoringDetector('iris-drift', 1, ks.fit(fitOn(4)), ks) };
    const { scorer, results } = setup(current);
    scorer.setAttachments([{ ...attachment, columnNames: undefined }]);
    for (let i = 0; i < 3; i++) scorer.accept(event(i, 4));
    current.d = scoringDetector('iris-drift', 2, ks.fit(fitOn(6)), ks);
    for (let i = 3; i < 6; i++) scorer.accept(event(i, 4));
    scorer.accept(event(6, 6));
    expect(results.map((r) => [r.detectorVersion, r.rows, r.closeReason])).toEqual([[1, 3, 'flush']]);
    expect(scorer.unscoredCounts()).toEqual([{ detector: 'iris-drift', reason: 'width', count: 3 }]);
    expect(scorer.openWindows()).toEqual([
      { detector: 'iris-drift', modelName: 'iris', modelVersion: '1', rows: 1 },
    ]);
    // Events of the old width held (too few to score) when the refit arrives are counted too.
    current.d = scoringDetector('iris-drift', 3, ks.fit(fitOn(4)), ks);
    scorer.accept(event(7, 4));
    expect(results).toHaveLength(1);
    expect(scorer.unscoredCounts()).toEqual([{ detector: 'iris-drift', reason: 'width', count: 4 }]);
  });

  it('restores open windows from a checkpoint (through JSON) after a restart', () => {
    const current = { d: detector(1) };
    const first = setup(current);
    for (let i = 0; i < 3; i++) first.scorer.accept(sampleEvent(i));
    const saved = JSON.parse(JSON.stringify(first.scorer.checkpoint()));
    const second = setup(current);
    expect(second.scorer.restore(saved)).toEqual({ restored: 1, dropped: 0 });
    second.scorer.accept(sampleEvent(3));
    second.scorer.accept(sampleEvent(4));
    expect(second.results.map((r) => [r.rows, r.requestIds])).toEqual([[5, []]]);
    expect(second.results[0]!.requestCount).toBe(5);
    const refitted = setup({ d: detector(2) });
    expect(refitted.scorer.restore(saved)).toEqual({ restored: 0, dropped: 1 });
  });
});

describe('LiveScorer delivery', () => {
  it('a throwing result handler is counted, not thrown', () => {
    const scorer = new LiveScorer<DriftResult>({
      detectors: { get: () => detector(1) },
      onWindowResult: () => {
        throw new Error('sink down');
      },
    });
    scorer.setAttachments([{ ...attachment, window: { maxRows: 2, minRows: 1 } }]);
    scorer.accept(sampleEvent(1));
    scorer.accept(sampleEvent(2));
    expect(scorer.unscoredCounts()).toEqual([{ detector: 'iris-drift', reason: 'handler-failed', count: 1 }]);
  });
});

describe('LiveScorer with the quality kind', () => {
  it('counts type violations and missing cells per window from BYTES tensors', () => {
    const bytes = (values: string[]) =>
      sampleEvent(0, {
        inputs: [
          {
            name: 'input',
            datatype: 'BYTES',
            shape: [1, values.length],
            data: values.map((v) => new TextEncoder().encode(v)),
          },
        ],
      });
    const qualityReference = tableFromEvents(
      [bytes(['1', '2']), bytes(['3', '4'])],
      { side: 'request', columnNames: ['a', 'b'] },
      undefined,
      'keep',
    ).table!;
    const quality = scoringDetector('q', 1, kinds.get('quality').fit(qualityReference), kinds.get('quality'));
    const results: WindowResult<DriftResult>[] = [];
    const scorer = new LiveScorer<DriftResult>({
      detectors: { get: () => quality },
      onWindowResult: (r) => results.push(r),
    });
    scorer.setAttachments([
      {
        detector: 'q',
        modelName: 'iris',
        side: 'request',
        columnNames: ['a', 'b'],
        window: { maxRows: 3, minRows: 1 },
      },
    ]);
    for (const values of [
      ['1', 'x'],
      ['', '3'],
      ['2', '9'],
    ])
      scorer.accept(bytes(values));
    expect(scorer.unscoredCounts()).toEqual([]);
    const [a, b] = results[0]!.result.features;
    expect(a!.quality).toMatchObject({ missing: 1, typeViolations: 0 });
    expect(b!.quality).toMatchObject({ missing: 0, typeViolations: 1, outOfRange: 1 });
  });
});
