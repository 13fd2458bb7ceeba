/**
 * The drift client over real gRPC against the DriftService test double
 * (`@sightline/sdk/testing`): requests as the contract wants them, answers in plain types,
 * paging, the history stream and its cancellation, retries of idempotent calls only, and
 * errors as the shared family.
 */

import { driftV1 } from '@sightline/contracts';
import {
  AlreadyExistsError,
  CancelledError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  Sightline,
  UnavailableError,
} from '@sightline/sdk';
import { type FakeDriftService, startFakeDriftService } from '@sightline/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fake: FakeDriftService;
let sightline: Sightline;

const REFERENCE = {
  columns: {
    x: Array.from({ length: 50 }, (_, i) => i / 10),
    colour: Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'red' : 'blue')),
  },
};
const SHIFTED = {
  columns: {
    x: Array.from({ length: 50 }, (_, i) => 10 + i / 10),
    colour: Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'red' : 'blue')),
  },
};

beforeAll(async () => {
  fake = await startFakeDriftService();
  sightline = new Sightline({
    addresses: { drift: fake.address },
    retry: { initialBackoffMs: 1, maxBackoffMs: 5 },
  });
});

afterAll(async () => {
  sightline?.close();
  await fake?.stop();
});

describe('sightline.drift', () => {
  it('creates with settings, fits a table with lineage fields, and reads the detector back', async () => {
    const created = await sightline.drift.createDetector('tab', {
      settings: { kind: 'tabular', pVal: 0.01, correction: 'fdr' },
      categoricalFeatures: ['colour'],
      labels: { team: 'ml' },
    });
    expect(created).toMatchObject({ name: 'tab', kind: 'tabular', state: 'created', version: 0 });
    expect(created.settings).toMatchObject({
      pVal: 0.01,
      correction: 'fdr',
      numericTest: 'ks',
      method: 'auto',
    });

    const fitted = await sightline.drift.fit('tab', REFERENCE, {
      creator: 'ada',
      referenceSource: '/data/ref.csv',
    });
    expect(fitted).toMatchObject({ state: 'fitted', version: 1, featureCount: 2, referenceRows: 50 });
    expect(fitted.inputs).toEqual([
      { name: 'x', datatype: 'FP64', rowShape: [] },
      { name: 'colour', datatype: 'BYTES', rowShape: [] },
    ]);
    expect(fitted.lineage).toMatchObject({
      version: 1,
      kindName: 'TabularDrift',
      creator: 'ada',
      referenceSource: '/data/ref.csv',
      featureNames: ['x', 'colour'],
      featureTypes: ['numeric', 'categorical'],
    });
    const sent = fake.requests.get('fit')!.at(-1) as driftV1.FitRequest;
    expect(sent.data.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['x', 'FP64', [50n]],
      ['colour', 'BYTES', [50n]],
    ]);

    await sightline.drift.fit('tab', REFERENCE);
    const details = await sightline.drift.get('tab');
    expect(details.detector.version).toBe(2);
    expect(details.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(details.detector.labels).toEqual({ team: 'ml' });
  });

  it('predicts a verdict per feature with effect sizes, and scores without one', async () => {
    const same = await sightline.drift.predict('tab', REFERENCE);
    expect(same.meta).toMatchObject({ name: 'tab', kindName: 'TabularDrift', detectorType: 'drift' });
    expect(same.data).toMatchObject({ drift: false, alpha: 0.01, correction: 'fdr', rows: 50 });
    const shifted = await sightline.drift.predict('tab', SHIFTED);
    expect(shifted.data.drift).toBe(true);
    const [x, colour] = shifted.data.features;
    expect(x).toMatchObject({ name: 'x', test: 'ks', featureType: 'numeric', drift: true, statistic: 1 });
    expect(x!.effectSizes!.wasserstein).toBeCloseTo(10);
    expect(colour).toMatchObject({ name: 'colour', test: 'chi2', featureType: 'categorical', drift: false });
    expect(colour!.effectSizes!.wasserstein).toBeUndefined();

    const score = await sightline.drift.score('tab', SHIFTED);
    expect(score.features.map((f) => f.drift)).toEqual([false, false]);
    expect(score.features[0]!.statistic).toBe(1);
    expect(score.testStats).toEqual([]);
  });

  it('answers the multivariate fields of an MMD detector', async () => {
    await sightline.drift.createDetector('mmd', { settings: { kind: 'mmd' } });
    const fitted = await sightline.drift.fit('mmd', {
      x: {
        data: [
          [0, 1],
          [1, 0],
          [0.5, 0.5],
        ],
        datatype: 'FP64',
      },
    });
    expect(fitted.settings).toMatchObject({ kind: 'mmd', permutations: 100, seed: 42n });
    const verdict = await sightline.drift.predict('mmd', {
      x: {
        data: [
          [3, 4],
          [4, 3],
        ],
        datatype: 'FP64',
      },
    });
    expect(verdict.data).toMatchObject({ drift: true, sigma: 1.5, distanceThreshold: 0.3, features: [] });
    expect(verdict.data.distance).toBeGreaterThan(0);
  });

  it('streams a history scan as progress and windows, and stores its windows as events', async () => {
    const items = [];
    for await (const item of sightline.drift.scoreHistory('tab', {
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2026-12-01T03:00:00Z'),
      selector: { modelName: 'iris', tensors: ['input'], columnNames: ['a', 'b', 'c', 'd'] },
      window: { maxRows: 100, maxDurationMs: 300_000, mode: 'sliding' },
    })) {
      items.push(item);
    }
    expect(items.map((i) => i.kind)).toEqual([
      'progress',
      'window',
      'progress',
      'window',
      'progress',
      'window',
    ]);
    const last = items.at(-1)!;
    if (last.kind !== 'window') throw new Error('expected a window');
    expect(last.window).toMatchObject({ events: 90, rows: 90, verdict: { drift: true } });
    expect(last.progress).toMatchObject({ eventsRead: 300, windows: 3, eventsSkipped: { wrong_tensor: 2 } });
    const sent = fake.requests.get('scoreHistory')!.at(-1) as driftV1.ScoreHistoryRequest;
    expect(sent.window).toMatchObject({
      maxRows: 100,
      maxDuration: { seconds: 300n, nanos: 0 },
      mode: driftV1.WindowMode.WINDOW_MODE_SLIDING,
    });
    expect(sent.selector).toMatchObject({
      modelName: 'iris',
      tensors: ['input'],
      columnNames: ['a', 'b', 'c', 'd'],
    });

    const page = await sightline.drift.listDriftEvents({ name: 'tab', driftOnly: true });
    expect(page.events).toHaveLength(1);
    expect(page.events[0]).toMatchObject({ detector: 'tab', origin: 'history', modelName: 'iris', rows: 90 });
  });

  it('cancels a history scan when the loop ends early or the signal aborts', async () => {
    fake.historyWindows = 1000;
    try {
      let seen = 0;
      for await (const _ of sightline.drift.scoreHistory('tab', {
        from: 0,
        to: 1000,
        selector: { modelName: 'iris' },
      })) {
        if (++seen === 3) break;
      }
      expect(seen).toBe(3);
      const controller = new AbortController();
      const scan = async () => {
        for await (const _ of sightline.drift.scoreHistory('tab', {
          from: 0,
          to: 1000,
          selector: { modelName: 'iris' },
          signal: controller.signal,
        })) {
          controller.abort();
        }
      };
      await expect(scan()).rejects.toBeInstanceOf(CancelledError);
    } finally {
      fake.historyWindows = 3;
    }
  });

  it('attaches with a selector and a window, and detaches', async () => {
    const attached = await sightline.drift.attach('tab', {
      selector: {
        modelName: 'iris',
        modelVersion: '2',
        graph: 'g',
        side: 'response',
        tensors: ['probabilities'],
      },
      window: { maxRows: 500, maxDurationMs: 60_000 },
    });
    expect(attached.attached).toBe(true);
    expect(attached.live).toEqual({
      modelName: 'iris',
      modelVersion: '2',
      graph: 'g',
      side: 'response',
      tensors: ['probabilities'],
      columnNames: [],
    });
    expect(attached.liveWindow).toEqual({ maxRows: 500, maxDurationMs: 60_000, mode: 'tumbling' });
    expect((await sightline.drift.detach('tab')).attached).toBe(false);
    await expect(sightline.drift.detach('tab')).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('lists page by page in name order', async () => {
    for (const name of ['p-a', 'p-b', 'p-c']) await sightline.drift.createDetector(name);
    const first = await sightline.drift.list({ pageSize: 2 });
    expect(first.detectors.map((d) => d.name)).toEqual(['mmd', 'p-a']);
    const names: string[] = [];
    for await (const detector of sightline.drift.listAll({ pageSize: 2 })) names.push(detector.name);
    expect(names).toEqual(['mmd', 'p-a', 'p-b', 'p-c', 'tab']);
  });

  it('fails with the family: unknown, exists, not fitted, bad batch, bad options', async () => {
    await expect(sightline.drift.get('nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(sightline.drift.createDetector('tab')).rejects.toBeInstanceOf(AlreadyExistsError);
    const notFitted = await sightline.drift.predict('p-a', REFERENCE).catch((error: unknown) => error);
    expect(notFitted).toBeInstanceOf(FailedPreconditionError);
    expect(notFitted).toMatchObject({
      message: 'detector "p-a": not fitted, call Fit first',
      field: 'detector "p-a"',
    });
    await expect(sightline.drift.predict('tab', { columns: { x: [1, 2] } })).rejects.toThrow(
      'feature "colour": missing from the batch',
    );
    await expect(
      sightline.drift.createDetector('x', { settings: { kind: 'ks', sigma: 1 } }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(sightline.drift.list({ pageSize: 0 })).rejects.toThrow(/^pageSize: /);
    const history = sightline.drift.scoreHistory('tab', { from: 10, to: 5, selector: { modelName: 'iris' } });
    await expect(history.next()).rejects.toThrow(/^to: must be after from/);
    await sightline.drift.delete('p-c');
    await expect(sightline.drift.delete('p-c')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('retries idempotent calls on UNAVAILABLE, and never the others', async () => {
    fake.failNext('getDetector', 2);
    expect((await sightline.drift.get('tab')).detector.name).toBe('tab');
    fake.failNext('score', 1);
    await sightline.drift.score('tab', REFERENCE);
    fake.failNext('fit', 1);
    await expect(sightline.drift.fit('tab', REFERENCE)).rejects.toBeInstanceOf(UnavailableError);
    fake.failNext('predict', 1);
    await expect(sightline.drift.predict('tab', REFERENCE)).rejects.toBeInstanceOf(UnavailableError);
  });
});
