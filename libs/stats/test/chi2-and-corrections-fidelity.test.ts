import { describe, expect, it } from 'vitest';
import { type Correction, chi2Contingency, correctPValues } from '../src/index.js';
import { closeTo, PYTHON_PRELUDE, runPython, seededUniform } from './scipy-oracle.js';

interface TableCase {
  readonly name: string;
  readonly table: number[][];
  readonly correction: boolean;
}

interface PCase {
  readonly name: string;
  readonly pValues: number[];
  readonly alpha: number;
  readonly correction: Correction;
}

function tables(): TableCase[] {
  const u = seededUniform(99);
  const counts = (k: number, scale: number) => Array.from({ length: k }, () => Math.floor(u() * scale) + 1);
  const base: Omit<TableCase, 'correction'>[] = [
    {
      name: '2x2 small',
      table: [
        [3, 7],
        [6, 2],
      ],
    },
    {
      name: '2x2 within half of expected (gh-13875)',
      table: [
        [10, 10],
        [10, 11],
      ],
    },
    {
      name: '2x2 large, tiny p',
      table: [
        [5000, 100],
        [100, 5000],
      ],
    },
    { name: '2x5 reference vs window', table: [counts(5, 1000), counts(5, 100)] },
    { name: '2x12 drifted', table: [counts(12, 500), counts(12, 500).map((c, i) => c + 40 * i)] },
    {
      name: '2x3 with a zero cell',
      table: [
        [0, 5, 9],
        [4, 0, 7],
      ],
    },
    { name: '2x30 sparse', table: [counts(30, 3), counts(30, 3)] },
    { name: '1x4 (dof 0)', table: [[3, 4, 5, 6]] },
    { name: '2x1 (dof 0)', table: [[3], [8]] },
    {
      name: '3x3',
      table: [
        [12, 5, 7],
        [3, 9, 4],
        [6, 6, 10],
      ],
    },
    {
      name: 'fractional counts',
      table: [
        [2.5, 7.25],
        [6.5, 1.75],
      ],
    },
  ];
  return base.flatMap((b) => [
    { ...b, correction: true },
    { ...b, correction: false },
  ]);
}

function pCases(): PCase[] {
  const u = seededUniform(1234);
  const sets: { name: string; pValues: number[] }[] = [
    { name: '50 uniform', pValues: Array.from({ length: 50 }, () => u()) },
    { name: '50 with signal', pValues: Array.from({ length: 50 }, (_, i) => (i < 10 ? u() * 1e-4 : u())) },
    { name: 'ties', pValues: [0.01, 0.01, 0.01, 0.02, 0.04, 0.5, 0.5] },
    {
      name: 'exactly on the BH line',
      pValues: [0.01, 0.02, 0.03, 0.04, 0.05].map((_, k) => ((k + 1) / 5) * 0.05),
    },
    { name: 'one', pValues: [0.04] },
    { name: 'zeros and ones', pValues: [0, 1, 0, 1, 0.5] },
  ];
  const out: PCase[] = [];
  for (const s of sets) {
    for (const alpha of [0.05, 0.01]) {
      for (const correction of ['bonferroni', 'fdr'] as const) out.push({ ...s, alpha, correction });
    }
  }
  return out;
}

/**
 * statsmodels is not installed here: the Python side is statsmodels' multipletests code for
 * 'bonferroni' and 'fdr_bh', written out with numpy.
 */
const SCRIPT = `${PYTHON_PRELUDE}
chi = []
for c in data['tables']:
    r = stats.chi2_contingency(np.array(c['table'], dtype=float), correction=c['correction'])
    chi.append(dict(statistic=clean(r.statistic), pValue=clean(r.pvalue), dof=int(r.dof),
                    expected=np.asarray(r.expected_freq).tolist()))
corr = []
for c in data['pcases']:
    p = np.asarray(c['pValues'], dtype=float); m = len(p); alpha = c['alpha']
    if c['correction'] == 'bonferroni':
        reject = p <= alpha / float(m)
    else:
        idx = np.argsort(p); ps = np.take(p, idx)
        ecdf = np.arange(1, m + 1) / float(m)
        rs = ps <= ecdf * alpha
        if rs.any():
            rs[:max(np.nonzero(rs)[0]) + 1] = True
        reject = np.empty_like(rs); reject[idx] = rs
    corr.append([bool(v) for v in reject])
print(json.dumps(dict(chi=chi, corr=corr)))
`;

describe('chi2Contingency equals scipy.stats.chi2_contingency; corrections equal multipletests', () => {
  const tcs = tables();
  const pcs = pCases();
  const py = runPython<{
    chi: { statistic: number | null; pValue: number | null; dof: number; expected: number[][] }[];
    corr: boolean[][];
  }>(SCRIPT, { tables: tcs, pcases: pcs });

  it.each(tcs.map((c, i) => [`${c.name}, correction ${c.correction}`, c, py.chi[i]!] as const))(
    'chi2 %s',
    (_label, c, expected) => {
      const actual = chi2Contingency(c.table, { correction: c.correction });
      expect(actual.dof).toBe(expected.dof);
      expect(closeTo(actual.statistic, expected.statistic, 1e-9, 1e-12), `chi2 ${actual.statistic}`).toBe(
        true,
      );
      expect(closeTo(actual.pValue, expected.pValue), `p ${actual.pValue} vs ${expected.pValue}`).toBe(true);
      actual.expected.flat().forEach((e, k) => {
        expect(closeTo(e, expected.expected.flat()[k]!, 1e-12, 0)).toBe(true);
      });
    },
  );

  it.each(pcs.map((c, i) => [`${c.name}, alpha ${c.alpha}, ${c.correction}`, c, py.corr[i]!] as const))(
    'verdicts %s',
    (_label, c, expected) => {
      const actual = correctPValues(c.pValues, c.alpha, c.correction);
      expect(actual.rejected).toEqual(expected);
      expect(actual.anyRejected).toBe(expected.includes(true));
    },
  );
});
