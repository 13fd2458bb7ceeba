import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { referenceKernels } from './reference-kernels.js';

const tables = [
  [
    [10, 20, 30],
    [15, 15, 40],
  ],
  [
    [12, 3],
    [5, 9],
  ],
];
const x = [1, 2, 2, 3, 5, 8, 8, 9];
const y = [2, 2, 4, 6, 7, 8, 10];

/** scipy's answers (Debian python3-scipy), computed once: python starts slowly on a loaded machine. */
const scipy = JSON.parse(
  execFileSync(
    'python3',
    [
      '-c',
      `import json, sys
import numpy as np
from scipy import stats
d = json.load(sys.stdin)
chi2 = {str(c): [list(stats.chi2_contingency(np.array(t), correction=c)[:2]) for t in d["tables"]] for c in (True, False)}
print(json.dumps({"chi2": chi2, "ks": stats.ks_2samp(d["x"], d["y"]).statistic}))`,
    ],
    { input: JSON.stringify({ tables, x, y }) },
  ).toString(),
) as { chi2: Record<string, [number, number][]>; ks: number };

describe('reference kernels (the test double)', () => {
  it('chi2 on 2 x k equals scipy chi2_contingency, with and without Yates', () => {
    for (const correction of [true, false]) {
      const expected = scipy.chi2[correction ? 'True' : 'False']!;
      tables.forEach((t, i) => {
        const r = referenceKernels.chi2Contingency(t, { correction });
        expect(r.statistic).toBeCloseTo(expected[i]![0], 9);
        expect(r.pValue).toBeCloseTo(expected[i]![1], 9);
      });
    }
  });

  it('the KS statistic equals scipy ks_2samp, ties included', () => {
    expect(referenceKernels.ks2Samp(x, y).statistic).toBeCloseTo(scipy.ks, 12);
  });
});
