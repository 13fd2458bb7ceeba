/**
 * The outlier client over real gRPC against the OutlierService test double
 * (`@sightline/sdk/testing`): requests as the contract wants them (the label column left
 * out, settings in their oneof), answers in plain types, the FitWithProgress and
 * ScoreHistory streams and their cancellation, retries of idempotent calls only, and errors
 * as the shared family.
 */
import type { outlierV1 } from '@sightline/contracts';
import {
  AlreadyExistsError,
  CancelledError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  Sightline,
  UnavailableError,
} from '@sightline/sdk';
import { type FakeOutlierService, startFakeOutlierService } from '@sightline/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fake: FakeOutlierService;
let sightline: Sightline;

const REFERENCE = {
  columns: {
    x: Array.from({ length: 40 }, (_, i) => (i % 10) / 10),
    y: Array.from({ length: 40 }, (_, i) => (i % 7) / 7),
    label: Array.from({ length: 40 }, () => 0),
  },
};
const BATCH = { columns: { x: [0.5, 9], y: [0.5, -8], label: [0, 1] } };

beforeAll(async () => {
  fake = await startFakeOutlierService();
  sightline = new Sightline({
    addresses: { outlier: fake.address },
    retry: { initialBackoffMs: 1, maxBackoffMs: 5 },
  });
});

afterAll(async () => {
  sightline?.close();
  await fake?.stop();
});

describe('sightline.outlier', () => {
  it('creates an iforest with a percentile rule, fits it (label left out) and predicts', async () => {
    const created = await sightline.outlier.createDetector('forest', {
      settings: { kind: 'iforest', nEstimators: 50, thresholdPercentile: 95 },
      labels: { team: 'ml' },
    });
    expect(created).toMatchObject({ name: 'forest', kind: 'iforest', state: 'created', version: 0 });
    expect(created.settings).toMatchObject({ nEstimators: 50, thresholdPercentile: 95, seed: 42n });
    const fitted = await sightline.outlier.fit('forest', REFERENCE, {
      creator: 'tester',
      referenceSource: '/data/ref.csv',
    });
    const fit = fake.requests.get('fit')!.at(-1) as outlierV1.FitRequest;
    expect(fit.data.map((t) => t.name)).toEqual(['x', 'y']);
    expect(fitted).toMatchObject({
      state: 'threshold-set',
      thresholdSource: 'fit_percentile',
      thresholdPercentile: 95,
      featureNames: ['x', 'y'],
      referenceRows: 40,
      version: 1,
    });
    expect(fitted.lineage).toMatchObject({
      creator: 'tester',
      referenceSource: '/data/ref.csv',
      kindName: 'IForest',
    });
    const prediction = await sightline.outlier.predict('forest', BATCH);
    expect(prediction.meta).toMatchObject({
      name: 'forest',
      kindName: 'IForest',
      detectorType: 'outlier',
      version: 1,
    });
    expect(prediction.data.isOutlier).toEqual([false, true]);
    expect(prediction.data.threshold).toBe(fitted.threshold);
    expect(prediction.data.featureScores).toEqual([]);
  });

  it('streams an autoencoder training epoch by epoch, then the fitted detector, with feature scores', async () => {
    await sightline.outlier.createDetector('ae', {
      settings: { kind: 'autoencoder', epochs: 5, hiddenUnits: [2, 1] },
    });
    const items = [];
    for await (const item of sightline.outlier.fitWithProgress('ae', REFERENCE)) items.push(item);
    expect(items.map((i) => i.kind)).toEqual([
      'progress',
      'progress',
      'progress',
      'progress',
      'progress',
      'fitted',
    ]);
    expect(items[4]).toMatchObject({
      kind: 'progress',
      progress: { epoch: 5, epochs: 5, backend: 'tfjs-cpu' },
    });
    const last = items.at(-1)!;
    expect(last.kind === 'fitted' && last.detector.state).toBe('fitted');
    expect(last.kind === 'fitted' && last.detector.lineage?.training?.epoch).toBe(5);
    const scores = await sightline.outlier.score('ae', BATCH);
    expect(scores.instanceScores).toHaveLength(2);
    expect(scores.featureScores.map((row) => row.length)).toEqual([2, 2]);
    expect(scores.threshold).toBeUndefined();
    await expect(sightline.outlier.predict('ae', BATCH)).rejects.toThrow(FailedPreconditionError);
    const inferred = await sightline.outlier.inferThreshold('ae', REFERENCE, {
      expectedFalsePositiveRate: 0.01,
    });
    expect(inferred.detector).toMatchObject({ thresholdSource: 'infer_threshold', thresholdPercentile: 99 });
    expect(inferred.threshold).toBe(inferred.detector.threshold);
  });

  it('cancels a training stream when the loop ends early', async () => {
    await sightline.outlier.createDetector('ae-long', { settings: { kind: 'autoencoder', epochs: 500 } });
    let seen = 0;
    for await (const item of sightline.outlier.fitWithProgress('ae-long', REFERENCE)) {
      expect(item.kind).toBe('progress');
      if (++seen === 2) break;
    }
    const controller = new AbortController();
    const run = async () => {
      for await (const _ of sightline.outlier.fitWithProgress('ae-long', REFERENCE, {
        signal: controller.signal,
      }))
        controller.abort();
    };
    await expect(run()).rejects.toThrow(CancelledError);
  });

  it('scans history page by page with progress, only outliers when asked', async () => {
    const pages = [];
    for await (const page of sightline.outlier.scoreHistory('forest', {
      from: Date.now() - 3_600_000,
      selector: { modelName: 'iris', columnNames: ['x', 'y'] },
      outliersOnly: true,
    }))
      pages.push(page);
    expect(pages).toHaveLength(4);
    expect(pages.flatMap((p) => p.verdicts).map((v) => v.requestId)).toEqual(['req-3']);
    expect(pages.at(-1)!.progress).toMatchObject({ eventsRead: 4, eventsScored: 4, outlierEvents: 1 });
    const request = fake.requests.get('scoreHistory')!.at(-1) as outlierV1.ScoreHistoryRequest;
    expect(request.selector).toMatchObject({ modelName: 'iris', columnNames: ['x', 'y'] });
    expect(request.outliersOnly).toBe(true);
    const noSelector = async () => {
      for await (const _ of sightline.outlier.scoreHistory('forest', { from: 0 }));
    };
    await expect(noSelector()).rejects.toThrow(InvalidArgumentError);
  });

  it('attaches, detaches, lists events newest first with filters, gets lineage, lists and deletes', async () => {
    const attached = await sightline.outlier.attach('forest', {
      selector: { modelName: 'iris', side: 'request' },
    });
    expect(attached).toMatchObject({ attached: true, live: { modelName: 'iris', side: 'request' } });
    expect((await sightline.outlier.detach('forest')).attached).toBe(false);
    fake.addEvents([
      {
        eventId: 'e1',
        detector: 'forest',
        requestId: 'r1',
        isOutlier: false,
        score: 0.1,
        time: new Date(1000),
      },
      {
        eventId: 'e2',
        detector: 'forest',
        requestId: 'r2',
        isOutlier: true,
        score: 0.9,
        time: new Date(2000),
        rowScore: [0.9],
        rowIsOutlier: [true],
      },
    ]);
    const all = await sightline.outlier.listOutlierEvents({ name: 'forest' });
    expect(all.events.map((e) => e.eventId)).toEqual(['e2', 'e1']);
    expect(all.events[0]).toMatchObject({ rowScores: [0.9], rowIsOutlier: [true], time: new Date(2000) });
    const outliers = await sightline.outlier.listOutlierEvents({ outliersOnly: true, from: 1500 });
    expect(outliers.events.map((e) => e.eventId)).toEqual(['e2']);
    const request = fake.requests.get('listOutlierEvents')!.at(-1) as outlierV1.ListOutlierEventsRequest;
    expect(request.range?.startTime).toEqual(new Date(1500));
    const details = await sightline.outlier.get('forest');
    expect(details.versions.map((v) => v.version)).toEqual([1]);
    const page = await sightline.outlier.list({ pageSize: 2 });
    expect(page.detectors.map((d) => d.name)).toEqual(['ae', 'ae-long']);
    const names = [];
    for await (const d of sightline.outlier.listAll({ pageSize: 1 })) names.push(d.name);
    expect(names).toEqual(['ae', 'ae-long', 'forest']);
    await sightline.outlier.delete('ae-long');
    await expect(sightline.outlier.get('ae-long')).rejects.toThrow(NotFoundError);
  });

  it('maps errors to the family and retries only idempotent calls', async () => {
    await expect(
      sightline.outlier.createDetector('forest', { settings: { kind: 'iforest' } }),
    ).rejects.toThrow(AlreadyExistsError);
    await expect(sightline.outlier.score('forest', { columns: { x: [1] } })).rejects.toThrow(
      /INVALID_ARGUMENT|expected 2 features/,
    );
    await expect(() =>
      sightline.outlier.createDetector('bad', { settings: { kind: 'mahalanobis', nEstimators: 3 } }),
    ).rejects.toThrow(InvalidArgumentError);
    fake.failNext('score', 1);
    expect((await sightline.outlier.score('forest', BATCH)).instanceScores).toHaveLength(2);
    fake.failNext('predict', 1);
    await expect(sightline.outlier.predict('forest', BATCH)).rejects.toThrow(UnavailableError);
  });
});
