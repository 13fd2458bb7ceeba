import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError } from '@sightline/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { correlatedTable } from '../../test/outlier-data.js';
import { FittedDetectors } from '../fitted-detectors.js';
import { DetectorStore } from '../store/detector-store.js';
import { STATS_OUTLIER_KERNELS } from './outlier-kernels.js';
import { OutlierKinds } from './outlier-kinds.js';
import type { OutlierScores } from './outlier-scores.js';

const kinds = new OutlierKinds(STATS_OUTLIER_KERNELS, { drawSeed: () => 31 });
const reference = correlatedTable(120, 5);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saved-state-checks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function detectors(): FittedDetectors<OutlierScores> {
  return new FittedDetectors(new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' }), kinds);
}

/** Sets every `key` in a saved detector.json to `value`, as a hand edit that keeps it valid JSON. */
async function corrupt(name: string, version: number, key: string, value: unknown): Promise<void> {
  const file = join(dir, name, `v${version}`, 'detector.json');
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x !== null && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (k === key) o[k] = value;
        else walk(o[k]);
      }
    }
  };
  const json = JSON.parse(await readFile(file, 'utf8')) as unknown;
  walk(json);
  await writeFile(file, JSON.stringify(json));
}

describe('saved versions checked by their kind at load', () => {
  it('refuses an iforest version with nEstimators -5 alone; the older version serves', async () => {
    const first = detectors();
    await first.load();
    await first.fit('di', { kind: 'iforest', reference, params: { nEstimators: 10 } });
    await first.fit('di', { kind: 'iforest', reference, params: { nEstimators: 10 } });
    await first.fit('ok', { kind: 'iforest', reference, params: { nEstimators: 10 } });
    await corrupt('di', 2, 'nEstimators', -5);
    const restarted = detectors();
    const { failures } = await restarted.load();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ detector: 'di', version: 2 });
    expect(failures[0]!.reason).toMatch(/nEstimators/);
    expect(restarted.get('di')?.version).toBe(1);
    expect(restarted.get('ok')?.version).toBe(1);
    await expect(restarted.detector('di', 2)).rejects.toThrow(FailedPreconditionError);
  });

  it('refuses a lone corrupt version: the detector answers FAILED_PRECONDITION saying to refit', async () => {
    const first = detectors();
    await first.load();
    await first.fit('m', { kind: 'mahalanobis', reference });
    await corrupt('m', 1, 'ridge', -1);
    const restarted = detectors();
    const { failures } = await restarted.load();
    expect(failures.map((f) => f.detector)).toEqual(['m']);
    expect(restarted.get('m')).toBeUndefined();
    await expect(restarted.detector('m')).rejects.toThrow(/ridge.*delete it or fit the detector again/);
  });

  it('refuses a forest whose arrays do not match its json', async () => {
    const first = detectors();
    await first.load();
    await first.fit('f', { kind: 'iforest', reference, params: { nEstimators: 10, maxSamples: 64 } });
    await corrupt('f', 1, 'maxSamples', 500);
    const { failures } = await detectors().load();
    expect(failures[0]?.reason).toMatch(/maxSamples/);
  });
});
