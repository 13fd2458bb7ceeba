import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kernelsFrom } from '../kernels.js';
import { referenceKernels } from './reference-kernels.js';

/** scipy's answers for the same inputs (Debian python3-scipy). */
function scipy(script: string, input: unknown): number[] {
  const out = execFileSync(
    'python3',
    ['-c', `import json,sys\nimport numpy as np\nfrom scipy import stats\nd=json.load(sys.stdin)\n${script}`],
    {
      input: JSON.stringify(input),
    },
  );
  return JSON.parse(out.toString()) as number[];
}

describe('reference kernels (the test double)', () => {
  it('chi2 on 2 x k equals scipy chi2_contingency, with and without Yates', () => {
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
    for (const correction of [true, false]) {
      const expected = scipy(
        'print(json.dumps([v for t in d["t"] for v in stats.chi2_contingency(np.array(t), correction=d["c"])[:2]]))',
        { t: tables, c: correction },
      );
      const got = tables.flatMap((t) => {
        const r = referenceKernels.chi2Contingency(t, { correction });
        return [r.statistic, r.pValue];
      });
      for (const [i, v] of got.entries()) expect(v).toBeCloseTo(expected[i]!, 9);
    }
  });

  it('the KS statistic equals scipy ks_2samp, ties included', () => {
    const x = [1, 2, 2, 3, 5, 8, 8, 9];
    const y = [2, 2, 4, 6, 7, 8, 10];
    const [d] = scipy('print(json.dumps([stats.ks_2samp(d["x"], d["y"]).statistic]))', { x, y });
    expect(referenceKernels.ks2Samp(x, y).statistic).toBeCloseTo(d!, 12);
  });

  it('kernels missing from a module answer UNIMPLEMENTED naming themselves', () => {
    const kernels = kernelsFrom({ correctPValues: referenceKernels.correctPValues });
    expect(kernels.correctPValues([0.01], 0.05, 'bonferroni').anyRejected).toBe(true);
    expect(() => kernels.ks2Samp([1], [2])).toThrow(
      'the statistical kernel ks2Samp is not in this build of @sightline/stats',
    );
  });
});
