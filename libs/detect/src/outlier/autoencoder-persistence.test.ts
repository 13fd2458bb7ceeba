import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lowRankWithOutliers } from '../../test/planted-outliers.js';
import { FittedDetectors, type KindCatalogue } from '../fitted-detectors.js';
import type { FitProgress } from '../kinds/detector-kind.js';
import { DetectorStore } from '../store/detector-store.js';
import { createAutoencoderKind } from './autoencoder-kind.js';
import type { OutlierKind, OutlierScores } from './outlier-scores.js';

const data = lowRankWithOutliers(3, { referenceRows: 150, testInliers: 20, testOutliers: 5 });
const params = { epochs: 2, batchSize: 32, learningRate: 0.01, seed: 5 };

/** A catalogue of the autoencoder alone: a fresh kind per "process", as after a restart. */
function catalogue(kind: OutlierKind): KindCatalogue<OutlierScores> {
  return { get: () => kind };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autoencoder-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function detectors(): FittedDetectors<OutlierScores> {
  const store = new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' });
  return new FittedDetectors(store, catalogue(createAutoencoderKind()));
}

describe('an autoencoder detector in the DetectorStore', () => {
  it('is fitted with progress, saved in TF.js format and scores the same after a restart', async () => {
    const first = detectors();
    await first.load();
    const progress: FitProgress[] = [];
    const saved = await first.fit('ae', {
      kind: 'autoencoder',
      reference: data.reference,
      params,
      onProgress: (p) => progress.push(p),
    });
    expect(progress.map((p) => p.epoch)).toEqual([1, 2]);
    expect((await readdir(join(dir, 'ae', `v${saved.version}`))).sort()).toEqual([
      'detector.json',
      'model.json',
      'reference.bin',
      'weights.bin',
    ]);
    const before = await first.scoreTable('ae', data.test);

    const restarted = detectors();
    expect(await restarted.load()).toEqual({ detectors: 1, failures: [] });
    const after = await restarted.scoreTable('ae', data.test);
    expect(after).toEqual(before);
  });

  it('refuses a version with a corrupted weights.bin alone; the other detectors load and score', async () => {
    const first = detectors();
    await first.load();
    await first.fit('broken', { kind: 'autoencoder', reference: data.reference, params });
    await first.fit('fine', { kind: 'autoencoder', reference: data.reference, params });
    await writeFile(join(dir, 'broken', 'v1', 'weights.bin'), new Uint8Array(16));

    const restarted = detectors();
    const loaded = await restarted.load();
    expect(loaded.detectors).toBe(2);
    expect(loaded.failures).toEqual([
      expect.objectContaining({
        detector: 'broken',
        version: 1,
        reason: expect.stringMatching(/weights\.bin has 16 bytes, expected \d+/),
      }),
    ]);
    expect(restarted.get('broken')).toBeUndefined();
    await expect(restarted.scoreTable('broken', data.test)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    const { result } = await restarted.scoreTable('fine', data.test);
    expect(result.instanceScores).toHaveLength(data.test.rows);
  });
});
