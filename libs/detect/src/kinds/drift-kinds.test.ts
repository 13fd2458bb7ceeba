import { describe, expect, it } from 'vitest';
import { type DriftKernels, STATS_KERNELS } from '../kernels.js';
import { tableFromTensors } from '../table/table-from-tensors.js';
import { referenceKernels, seededUniform } from '../testing/reference-kernels.js';
import { DriftKinds } from './drift-kinds.js';

/** The kinds run over the reference double and over @sightline/stats. */
const kernelSets: [string, DriftKernels][] = [
  ['the reference double', referenceKernels],
  ['@sightline/stats', STATS_KERNELS],
];

function normals(n: number, seed: number, mean = 0): number[] {
  const u = seededUniform(seed);
  return Array.from(
    { length: n },
    () => mean + Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()),
  );
}

/** n rows of `cols` normal features (the first shifted by `shift`). */
function numericTable(n: number, cols: number, seed: number, shift = 0) {
  const data: number[] = [];
  const columns = Array.from({ length: cols }, (_, c) => normals(n, seed * 31 + c, c === 0 ? shift : 0));
  for (let r = 0; r < n; r++) for (let c = 0; c < cols; c++) data.push(columns[c]![r]!);
  return tableFromTensors([{ name: 'x', shape: [n, cols], data }], {
    columnNames: Array.from({ length: cols }, (_, c) => `f${c}`),
  });
}

function mixedTable(n: number, seed: number, shift: number, colours: readonly string[]) {
  const u = seededUniform(seed);
  return tableFromTensors(
    [
      { name: 'num', shape: [n], data: normals(n, seed, shift) },
      {
        name: 'colour',
        shape: [n],
        data: Array.from({ length: n }, () => colours[Math.floor(u() * colours.length)]!),
      },
    ],
    { columnNames: ['amount', 'colour'], categorical: ['colour'] },
  );
}

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { code: string; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('expected an error');
}

describe.each(kernelSets)('drift kinds over %s', (_, kernels) => {
  const kinds = new DriftKinds(kernels);

  it('writes out the Alibi Detect defaults', () => {
    const ref = numericTable(50, 2, 1);
    expect(kinds.get(undefined).name).toBe('tabular');
    expect(kinds.get('ks').fit(ref).params).toEqual({
      pVal: 0.05,
      correction: 'bonferroni',
      method: 'auto',
      alternative: 'two-sided',
    });
    const drawn = kinds.get('mmd').fit(ref).params;
    expect(drawn).toEqual({ pVal: 0.05, permutations: 100, seed: expect.any(Number) });
    expect(Number.isInteger(drawn.seed) && (drawn.seed as number) >= 0).toBe(true);
  });

  it('mmd and lsdd draw an unset seed at fit, save it in the params and score with it', () => {
    const drawing = new DriftKinds(kernels, { drawSeed: () => 12345 });
    for (const name of ['mmd', 'lsdd']) {
      const ref = numericTable(40, 2, 1);
      const window = numericTable(20, 2, 2, 0.3);
      const drawn = drawing.get(name).fit(ref, { permutations: 30 });
      expect(drawn.params.seed).toBe(12345);
      const given = drawing.get(name).fit(ref, { permutations: 30, seed: 12345 });
      expect(given.params.seed).toBe(12345);
      expect(drawing.get(name).score(drawn, window)).toEqual(drawing.get(name).score(given, window));
      expect(drawing.get(name).fit(ref, { seed: 0 }).params.seed).toBe(0);
    }
    expect(
      drawing.get('pca').fit(numericTable(40, 4, 1), { varianceExplained: 0.5 }).params.seed,
    ).toBeUndefined();
  });

  it('ks: no drift on the same distribution, drift on a shift, Bonferroni threshold alpha/m', () => {
    const ks = kinds.get('ks');
    const state = ks.fit(numericTable(300, 3, 1));
    const same = ks.score(state, numericTable(200, 3, 2));
    expect(same.overall).toEqual({
      drift: false,
      basis: 'p-value',
      threshold: 0.05 / 3,
      correction: 'bonferroni',
      alpha: 0.05,
    });
    const shifted = ks.score(state, numericTable(200, 3, 3, 1));
    expect(shifted.overall.drift).toBe(true);
    expect(shifted.features.map((f) => f.drift)).toEqual([true, false, false]);
    expect(shifted.features[0]!.test).toBe('ks');
    expect(shifted.features[0]!.effectSizes!.psi).toBeGreaterThan(same.features[0]!.effectSizes!.psi);
  });

  it('fdr is selectable', () => {
    const state = kinds.get('cvm').fit(numericTable(100, 2, 1), { correction: 'fdr' });
    const result = kinds.get('cvm').score(state, numericTable(100, 2, 4, 1));
    expect(result.overall.correction).toBe('fdr');
    expect(result.features[0]!.drift).toBe(true);
  });

  it('tabular: KS on numeric, chi2 on categorical, tests named per feature', () => {
    const tabular = kinds.get('tabular');
    const state = tabular.fit(mixedTable(300, 1, 0, ['red', 'green', 'blue']));
    const same = tabular.score(state, mixedTable(200, 2, 0, ['red', 'green', 'blue']));
    expect(same.features.map((f) => [f.name, f.test, f.drift])).toEqual([
      ['amount', 'ks', false],
      ['colour', 'chi2', false],
    ]);
    const cvm = tabular.fit(mixedTable(100, 1, 0, ['red', 'green']), { featureTests: { amount: 'cvm' } });
    expect(tabular.score(cvm, mixedTable(50, 2, 0, ['red'])).features.map((f) => f.test)).toEqual([
      'cvm',
      'chi2',
    ]);
  });

  it('chi2: unseen categories are pooled by default, ignored on request', () => {
    const colours = (data: string[]) => [{ name: 'colour', shape: [data.length], data }];
    const u = seededUniform(9);
    const ref = tableFromTensors(colours(Array.from({ length: 200 }, () => (u() < 0.5 ? 'red' : 'green'))), {
      categorical: ['colour[0]'],
    });
    const chi2 = kinds.get('chi2');
    const pooled = chi2.fit(ref);
    const seenOnly = tableFromTensors(colours(['red', 'green', 'red', 'green']), { schema: pooled.schema });
    const withNew = tableFromTensors(colours(Array(40).fill('purple')), { schema: pooled.schema });
    expect(chi2.score(pooled, seenOnly).overall.drift).toBe(false);
    expect(chi2.score(pooled, withNew).overall.drift).toBe(true);
    const ignoring = chi2.fit(ref, { unseenCategories: 'ignore' });
    expect(chi2.score(ignoring, withNew).features[0]).toMatchObject({
      statistic: 0,
      pValue: 1,
      drift: false,
    });
  });

  it('alerts on an effect size instead of p-values', () => {
    const ks = kinds.get('ks');
    const state = ks.fit(numericTable(400, 1, 1), { alert: { metric: 'psi', above: 0.2 } });
    const small = ks.score(state, numericTable(400, 1, 5, 0.1));
    expect(small.alert).toMatchObject({ metric: 'psi', above: 0.2, triggered: false });
    expect(small.overall.basis).toBe('effect-size');
    const big = ks.score(state, numericTable(400, 1, 6, 2));
    expect(big.alert).toMatchObject({ triggered: true, features: ['f0'] });
    expect(big.overall.drift).toBe(true);
  });

  it('mmd, lsdd and pca score one statistic with effect sizes per feature', () => {
    for (const name of ['mmd', 'lsdd']) {
      const kind = kinds.get(name);
      const state = kind.fit(numericTable(80, 2, 1), { permutations: 50, seed: 7 });
      const same = kind.score(state, numericTable(60, 2, 3));
      const shifted = kind.score(state, numericTable(60, 2, 4, 1.5));
      expect(same.overall.drift).toBe(false);
      expect(shifted.overall.drift).toBe(true);
      expect(shifted.multivariate?.test).toBe(name);
      expect(shifted.features[0]!.effectSizes).toBeDefined();
    }
    expect(
      kinds.get('mmd').score(kinds.get('mmd').fit(numericTable(30, 2, 1)), numericTable(20, 2, 2))
        .multivariate?.sigma,
    ).toBeGreaterThan(0);
    const pca = kinds.get('pca');
    const state = pca.fit(numericTable(200, 3, 1), { varianceExplained: 0.6 });
    expect(pca.score(state, numericTable(100, 3, 2)).overall).toMatchObject({
      drift: false,
      basis: 'reconstruction-error',
    });
    expect(pca.score(state, numericTable(100, 3, 3, 4)).overall.drift).toBe(true);
  });

  it('quality counts missing, infinite, out-of-range, unseen and type violations per feature', () => {
    const quality = kinds.get('quality');
    const ref = tableFromTensors(
      [
        { name: 'v', shape: [5], data: [1, 2, 3, 4, 5] },
        { name: 'c', shape: [5], data: ['a', 'b', 'a', 'b', 'a'] },
      ],
      { columnNames: ['v', 'c'], categorical: ['c'], nonFinite: 'keep' },
    );
    const state = quality.fit(ref);
    const window = tableFromTensors(
      [
        { name: 'v', shape: [4], data: ['2', 'oops', '', '9'] },
        { name: 'c', shape: [4], data: ['a', 'z', 'b', 'z'] },
      ],
      { columnNames: ['v', 'c'], schema: state.schema, nonFinite: 'keep' },
    );
    const result = quality.score(state, window);
    expect(result.features[0]!.quality).toMatchObject({
      missing: 1,
      typeViolations: 1,
      outOfRange: 1,
      infinite: 0,
    });
    expect(result.features[1]!.quality).toMatchObject({ unseenCategories: 2 });
    expect(result.features.map((f) => f.drift)).toEqual([true, true]);
  });

  it('quality counts a value out of range once in outOfBounds (out of range is within out of bounds)', () => {
    const quality = kinds.get('quality');
    const ref = tableFromTensors(
      [{ name: 'v', shape: [100], data: Array.from({ length: 100 }, (_, i) => i) }],
      {
        nonFinite: 'keep',
      },
    );
    const state = quality.fit(ref);
    const one = quality.score(
      state,
      tableFromTensors([{ name: 'v', shape: [3], data: [50, 51, 1000] }], {
        schema: state.schema,
        nonFinite: 'keep',
      }),
    );
    expect(one.features[0]!.quality).toMatchObject({ outOfRange: 1, outOfBounds: 1, missing: 0 });
    const all = quality.score(
      state,
      tableFromTensors([{ name: 'v', shape: [300], data: new Array<number>(300).fill(-5) }], {
        schema: state.schema,
        nonFinite: 'keep',
      }),
    );
    const q = all.features[0]!.quality!;
    expect([q.outOfRange, q.outOfBounds, q.rates.outOfBounds]).toEqual([300, 300, 1]);
    // The failed checks are disjoint: their sum is at most the rows.
    expect(q.missing + q.infinite + q.outOfBounds + q.unseenCategories + q.typeViolations).toBe(300);
  });

  it.each([
    [
      'too small a reference',
      () => kinds.get('mmd').fit(numericTable(5, 2, 1)),
      'INVALID_ARGUMENT',
      'kind "mmd" needs a reference of at least 10 rows, got 5',
    ],
    [
      'an unknown parameter',
      () => kinds.get('ks').fit(numericTable(20, 1, 1), { permutations: 5 }),
      'INVALID_ARGUMENT',
      'kind "ks": parameter "permutations" is not a parameter of this kind; its parameters are pVal, correction, alert, method, alternative',
    ],
    [
      'a p-value out of range',
      () => kinds.get('ks').fit(numericTable(20, 1, 1), { pVal: 2 }),
      'INVALID_ARGUMENT',
      'kind "ks": parameter "pVal" must be in (0, 1), got 2',
    ],
    [
      'an unknown kind',
      () => kinds.get('magic'),
      'INVALID_ARGUMENT',
      'kind "magic" is not one of tabular, ks, cvm, chi2, mmd, lsdd, quality, pca, online-mmd, online-cvm',
    ],
    [
      'ks on a categorical column',
      () => kinds.get('ks').fit(mixedTable(20, 1, 0, ['a'])),
      'INVALID_ARGUMENT',
      'kind "ks" tests numeric columns; column "colour" is categorical (use kind "tabular" or "chi2")',
    ],
    [
      'a wrong width',
      () => kinds.get('ks').score(kinds.get('ks').fit(numericTable(20, 2, 1)), numericTable(20, 3, 1)),
      'INVALID_ARGUMENT',
      'expected 2 features per row ("f0", "f1"), got 3',
    ],
    [
      'one row for cvm',
      () => kinds.get('cvm').score(kinds.get('cvm').fit(numericTable(20, 1, 1)), numericTable(1, 1, 1)),
      'INVALID_ARGUMENT',
      'kind "cvm" needs at least 2 rows to score, got 1',
    ],
  ])('refuses %s', (_, fn, code, message) => {
    expect(codeOf(fn)).toEqual({ code, message });
  });

  it('a minimum reference size can be overridden', () => {
    const strict = new DriftKinds(kernels, { minReferenceRows: { ks: 100 } });
    expect(codeOf(() => strict.get('ks').fit(numericTable(50, 1, 1))).message).toBe(
      'kind "ks" needs a reference of at least 100 rows, got 50',
    );
  });
});
