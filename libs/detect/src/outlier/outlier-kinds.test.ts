import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@sightline/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { correlatedTable } from '../../test/outlier-data.js';
import { FittedDetectors } from '../fitted-detectors.js';
import { DetectorStore } from '../store/detector-store.js';
import { runningRows, updateRunning } from './mahalanobis-running.js';
import { STATS_OUTLIER_KERNELS } from './outlier-kernels.js';
import { ALIBI_KIND_NAMES, OUTLIER_KIND_NAMES, OutlierKinds, outlierKinds } from './outlier-kinds.js';
import type { OutlierScores } from './outlier-scores.js';

const kinds = new OutlierKinds(STATS_OUTLIER_KERNELS, { drawSeed: () => 31 });
const reference = correlatedTable(300, 21);
const batch = correlatedTable(25, 22);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outlier-kinds-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function detectors(): FittedDetectors<OutlierScores> {
  return new FittedDetectors(new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' }), kinds);
}

describe('OutlierKinds', () => {
  it('names every kind of the contract, and Alibi names for each', () => {
    expect(OUTLIER_KIND_NAMES).toEqual(['iforest', 'mahalanobis', 'autoencoder']);
    expect(Object.keys(ALIBI_KIND_NAMES)).toEqual([...OUTLIER_KIND_NAMES]);
    expect(ALIBI_KIND_NAMES).toEqual({
      iforest: 'IForest',
      mahalanobis: 'Mahalanobis',
      autoencoder: 'OutlierAE',
    });
    expect(outlierKinds.get('iforest').name).toBe('iforest');
    expect(outlierKinds.get('mahalanobis').name).toBe('mahalanobis');
  });

  it('refuses no kind and an unknown one, and has every kind of the contract', () => {
    expect(() => kinds.get(undefined)).toThrow(InvalidArgumentError);
    expect(() => kinds.get('ks')).toThrow(/"ks" is not one of iforest, mahalanobis, autoencoder/);
    for (const name of OUTLIER_KIND_NAMES) expect(kinds.get(name).name).toBe(name);
  });

  for (const kind of ['iforest', 'mahalanobis'] as const) {
    it(`fits ${kind}, saves it with its params in the lineage, and scores the same after a restart`, async () => {
      const first = detectors();
      await first.load();
      const saved = await first.fit('d1', { kind, reference });
      expect(saved.lineage.params.seed).toBe(31);
      const before = (await first.scoreTable('d1', batch)).result.instanceScores;
      expect(before).toHaveLength(batch.rows);
      const restarted = detectors();
      await restarted.load();
      const after = await restarted.scoreTable('d1', batch);
      expect(after.version).toBe(1);
      expect(after.result.instanceScores).toEqual(before);
      expect((await restarted.detector('d1')).schema.names).toEqual(['a', 'b', 'c']);
    });
  }

  it('saves a running mahalanobis state as a new version that scores as it did before saving', async () => {
    const first = detectors();
    await first.load();
    const saved = await first.fit('m', { kind: 'mahalanobis', reference, params: { maxN: 100 } });
    const updated = updateRunning(saved.state, batch);
    const store = new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' });
    await store.load();
    const next = await store.save('m', { state: updated, referenceSha256: saved.lineage.reference.sha256 });
    const reopened = detectors();
    await reopened.load();
    const loaded = await reopened.detector('m');
    expect(loaded.version).toBe(next.version);
    expect(runningRows((await store.get('m', next.version)).state)).toBe(reference.rows + batch.rows);
    expect(loaded.score(batch).instanceScores).toEqual(
      kinds.get('mahalanobis').score(updated, batch).instanceScores,
    );
  });
});
