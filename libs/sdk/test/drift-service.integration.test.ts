/**
 * `sightline.drift` against the real drift service (`sightline serve drift`, a child
 * process): a tabular detector on a table of numeric and text columns, its verdicts with
 * effect sizes, versions with lineage, an MMD detector's multivariate fields, history,
 * attachment, and the service's errors as the shared family.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  Sightline,
} from '@sightline/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildService, startChildService } from './helpers/child-service.js';

let drift: ChildService;
let dataDir: string;
let sightline: Sightline;

/** `rows` rows: `x` around `centre` and a colour cycling through three values. */
function table(rows: number, centre: number) {
  return {
    columns: {
      x: Array.from({ length: rows }, (_, i) => centre + ((i * 7) % 20) / 10),
      colour: Array.from({ length: rows }, (_, i) => ['red', 'green', 'blue'][i % 3]!),
    },
  };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sdk-drift-'));
  // An empty event store (the service refuses history over a directory that does not exist).
  await mkdir(path.join(dataDir, 'events'));
  drift = await startChildService('drift', [
    '--data-dir',
    path.join(dataDir, 'drift'),
    '--events-dir',
    path.join(dataDir, 'events'),
  ]);
  sightline = new Sightline({ addresses: { drift: drift.address } });
});

afterAll(async () => {
  sightline?.close();
  await drift?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('sightline.drift against the drift service', () => {
  it('fits a tabular detector on a table and answers its defaults, lineage and versions', async () => {
    const created = await sightline.drift.createDetector('tab', { categoricalFeatures: ['colour'] });
    expect(created).toMatchObject({ name: 'tab', kind: 'tabular', state: 'created', version: 0 });
    const fitted = await sightline.drift.fit('tab', table(300, 0), {
      creator: 'ada',
      referenceSource: 'ref.csv',
    });
    expect(fitted).toMatchObject({ state: 'fitted', version: 1, featureCount: 2, referenceRows: 300 });
    expect(fitted.settings).toMatchObject({ kind: 'tabular', pVal: 0.05, correction: 'bonferroni' });
    expect(fitted.lineage).toMatchObject({
      version: 1,
      creator: 'ada',
      referenceSource: 'ref.csv',
      featureNames: ['x', 'colour'],
      featureTypes: ['numeric', 'categorical'],
      referenceRows: 300,
    });
    expect(fitted.lineage?.referenceSha256).toMatch(/^[0-9a-f]{64}$/);
    await sightline.drift.fit('tab', table(300, 0));
    const { detector, versions } = await sightline.drift.get('tab');
    expect(detector.version).toBe(2);
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it('predicts per feature (KS, chi2) with effect sizes and one corrected verdict', async () => {
    const same = await sightline.drift.predict('tab', table(100, 0));
    expect(same.data).toMatchObject({ drift: false, correction: 'bonferroni', alpha: 0.05, rows: 100 });
    expect(same.data.threshold).toBeCloseTo(0.025, 12);
    const shifted = await sightline.drift.predict('tab', table(100, 3));
    expect(shifted.data.drift).toBe(true);
    const [x, colour] = shifted.data.features;
    expect(x).toMatchObject({ name: 'x', test: 'ks', featureType: 'numeric', drift: true });
    expect(x!.pValue).toBeLessThan(0.025);
    expect(x!.effectSizes!.wasserstein).toBeCloseTo(3, 6);
    expect(colour).toMatchObject({ name: 'colour', test: 'chi2', featureType: 'categorical', drift: false });
    expect(colour!.effectSizes!.wasserstein).toBeUndefined();
    const score = await sightline.drift.score('tab', table(100, 3));
    expect(score.features.map((f) => f.name)).toEqual(['x', 'colour']);
  });

  it('answers an MMD verdict with its statistic, bandwidth and p-value', async () => {
    await sightline.drift.createDetector('mmd', { settings: { kind: 'mmd', permutations: 50, seed: 7 } });
    await sightline.drift.fit('mmd', { columns: { x: table(200, 0).columns.x } });
    const { data } = await sightline.drift.predict('mmd', { columns: { x: table(100, 3).columns.x } });
    expect(data.drift).toBe(true);
    expect(data.distance).toBeGreaterThan(0);
    expect(data.sigma).toBeGreaterThan(0);
    expect(data.pValue).toBeLessThan(0.05);
  });

  it('attaches and detaches, runs history over an empty store, and lists no drift events', async () => {
    const attached = await sightline.drift.attach('tab', {
      selector: { modelName: 'iris', columnNames: ['x', 'colour'] },
      window: { maxRows: 100, maxDurationMs: 60_000 },
    });
    expect(attached.attached).toBe(true);
    expect(attached.live).toMatchObject({ modelName: 'iris', columnNames: ['x', 'colour'] });
    expect((await sightline.drift.detach('tab')).attached).toBe(false);
    const items = [];
    for await (const item of sightline.drift.scoreHistory('tab', {
      from: Date.now() - 3_600_000,
      selector: { modelName: 'iris' },
    })) {
      items.push(item);
    }
    expect(items.filter((i) => i.kind === 'window')).toEqual([]);
    expect((await sightline.drift.listDriftEvents({ name: 'tab' })).events).toEqual([]);
  });

  it("maps the service's refusals to the family", async () => {
    await expect(sightline.drift.get('nope')).rejects.toBeInstanceOf(NotFoundError);
    await sightline.drift.createDetector('unfitted');
    await expect(sightline.drift.predict('unfitted', table(10, 0))).rejects.toBeInstanceOf(
      FailedPreconditionError,
    );
    await expect(sightline.drift.predict('tab', { columns: { x: [1, 2, 3] } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await sightline.drift.delete('unfitted');
    const names: string[] = [];
    for await (const detector of sightline.drift.listAll({ pageSize: 1 })) names.push(detector.name);
    expect(names).toEqual(['mmd', 'tab']);
  });

  it('creates a detector with a trailing reference and reads it back', async () => {
    const created = await sightline.drift.createDetector('trailing', {
      settings: { kind: 'ks' },
      trailingReference: {
        selector: { modelName: 'iris', tensors: ['input'] },
        offsetMs: 7 * 86_400_000,
        lengthMs: 3_600_000,
        refitIntervalMs: 1_800_000,
        minRows: 50,
      },
    });
    expect(created.trailingReference).toEqual({
      selector: expect.objectContaining({ modelName: 'iris', tensors: ['input'] }),
      offsetMs: 7 * 86_400_000,
      lengthMs: 3_600_000,
      refitIntervalMs: 1_800_000,
      minRows: 50,
    });
    expect((await sightline.drift.get('trailing')).detector.trailingReference?.lengthMs).toBe(3_600_000);
    await sightline.drift.delete('trailing');
  });

  it('names the setting that raises a message size limit', async () => {
    const small = new Sightline({
      addresses: { drift: drift.address },
      channelOptions: { 'grpc.max_send_message_length': 1024 },
    });
    try {
      await small.drift.createDetector('big');
      const error = await small.drift.fit('big', table(300, 0)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResourceExhaustedError);
      expect((error as Error).message).toMatch(
        /larger than 1024; this client's limit: channelOptions 'grpc\.max_send_message_length' \(the server's own is --max-receive-message-bytes/,
      );
    } finally {
      small.close();
    }
  });

  it('online kinds: fit with ert and window, predict row by row, reset, infer a new threshold', async () => {
    const numeric = (rows: number, centre: number) => ({
      columns: { x: Array.from({ length: rows }, (_, i) => centre + ((i * 7) % 20) / 10) },
    });
    await sightline.drift.createDetector('stream', {
      settings: { kind: 'online-cvm', ert: 50, windowSizes: [5, 10], bootstraps: 2000, seed: 3 },
    });
    const fitted = await sightline.drift.fit('stream', numeric(200, 0));
    expect(fitted.settings).toMatchObject({
      kind: 'online-cvm',
      ert: 50,
      windowSizes: [5, 10],
      bootstraps: 2000,
    });
    const prediction = await sightline.drift.predict('stream', numeric(30, 3));
    expect(prediction.meta).toMatchObject({ kindName: 'CVMDriftOnline', online: true });
    expect(prediction.data.onlineRows.map((r) => r.time)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    expect(prediction.data).toMatchObject({ drift: true, time: 30, ert: 50 });
    expect(prediction.data.driftTime).toBeLessThanOrEqual(30);
    expect((await sightline.drift.reset('stream')).time).toBe(0);
    const inferred = await sightline.drift.inferThreshold('stream', { ert: 40 });
    expect(inferred.detector.version).toBe(2);
    expect(inferred.threshold).toBeGreaterThan(0);
    await expect(sightline.drift.reset('tab')).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(sightline.drift.inferThreshold('tab', { ert: 10 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});
