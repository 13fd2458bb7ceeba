/**
 * The service with its default kernels (@sightline/stats, what production runs), end to
 * end over gRPC: a KS detector's per-feature statistics and p-values equal scipy's
 * `ks_2samp` on the same float32 data (Debian's python3-scipy, run from the test), and the
 * tabular and MMD kinds answer with their verdict, threshold and bandwidth.
 */
import { execFileSync } from 'node:child_process';
import { driftV1 } from '@sightline/contracts';
import { STATS_KERNELS } from '@sightline/detect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  irisRows,
  irisTensor,
  startTestDrift,
  type TestDrift,
  tensorMessages,
} from './helpers/drift-test-service.js';

const SCIPY = `
import json, sys
from scipy.stats import ks_2samp
d = json.load(sys.stdin)
out = []
for c in range(4):
    x = [row[c] for row in d["ref"]]
    y = [row[c] for row in d["win"]]
    r = ks_2samp(x, y)
    out.append([float(r.statistic), float(r.pvalue)])
print(json.dumps(out))
`;

function rowsOf(data: Float32Array): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < data.length / 4; r++) rows.push(Array.from(data.subarray(r * 4, r * 4 + 4)));
  return rows;
}

describe('with @sightline/stats kernels', () => {
  let drift: TestDrift;
  beforeAll(async () => {
    drift = await startTestDrift({ kernels: STATS_KERNELS });
  });
  afterAll(async () => {
    await drift?.stop();
  });

  it("KS statistics and p-values equal scipy's ks_2samp", async () => {
    await drift.client.createDetector({ name: 'ks', config: { ks: {} } });
    await drift.client.fit({ name: 'ks', data: tensorMessages(irisTensor(300, 11)) });
    const answer = await drift.client.predict({ name: 'ks', data: tensorMessages(irisTensor(80, 12, 0.1)) });
    const expected = JSON.parse(
      execFileSync('python3', ['-c', SCIPY], {
        input: JSON.stringify({ ref: rowsOf(irisRows(300, 11)), win: rowsOf(irisRows(80, 12, 0.1)) }),
      }).toString(),
    ) as [number, number][];
    const features = answer.data?.features ?? [];
    expect(features).toHaveLength(4);
    features.forEach((feature, c) => {
      expect(feature.distance).toBeCloseTo(expected[c]![0], 12);
      expect(Math.abs(feature.pVal - expected[c]![1])).toBeLessThanOrEqual(
        1e-6 * Math.max(expected[c]![1], 1e-300),
      );
    });
    const minP = Math.min(...expected.map((e) => e[1]));
    expect(answer.data?.isDrift).toBe(minP < 0.05 / 4);
  });

  it('tabular and MMD detectors answer with their verdicts', async () => {
    await drift.client.createDetector({ name: 'tab' });
    await drift.client.fit({ name: 'tab', data: tensorMessages(irisTensor(200, 21)) });
    const tab = await drift.client.predict({ name: 'tab', data: tensorMessages(irisTensor(100, 22, 1)) });
    expect(tab.meta?.kind).toBe('TabularDrift');
    expect(tab.data?.isDrift).toBe(true);

    await drift.client.createDetector({ name: 'mmd', config: { mmd: { nPermutations: 100, seed: 7n } } });
    await drift.client.fit({ name: 'mmd', data: tensorMessages(irisTensor(200, 31)) });
    const same = await drift.client.predict({ name: 'mmd', data: tensorMessages(irisTensor(100, 32)) });
    const shifted = await drift.client.predict({ name: 'mmd', data: tensorMessages(irisTensor(100, 33, 1)) });
    expect(same.meta?.kind).toBe('MMDDrift');
    expect(shifted.data?.isDrift).toBe(true);
    expect(shifted.data?.pVal).toBeLessThan(0.05);
    expect(shifted.data?.sigma).toBeGreaterThan(0);
    expect(shifted.data?.distance).toBeGreaterThan(same.data?.distance ?? 0);
    expect(shifted.data?.correction).toBe(driftV1.Correction.CORRECTION_UNSPECIFIED);
  });
});
