import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalMatrix } from '../../test/run-numpy.js';
import type { DenseMatrix } from '../matrix.js';
import { averagePathLength } from './average-path-length.js';
import { IFOREST_AUTO_OFFSET, IsolationForest, type IsolationForestState } from './isolation-forest.js';
import { percentile } from './percentile.js';

/** A small matrix from fast-check: rows of `cols` values in [-1000, 1000] with a 1e-3 grain (no sub-1e-7 ranges). */
const smallMatrix = (cols: number) =>
  fc
    .array(fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { minLength: cols, maxLength: cols }), {
      minLength: 2,
      maxLength: 60,
    })
    .map(
      (rows): DenseMatrix => ({
        rows: rows.length,
        cols,
        data: Float64Array.from(rows.flat(), (v) => v / 1000),
      }),
    );

describe('IsolationForest', () => {
  const reference = normalMatrix(600, 4, 11);

  it('grown in slices of any size, gives exactly the forest of the synchronous fit (property)', () => {
    fc.assert(
      fc.property(
        smallMatrix(3),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        fc.constantFrom(0.5, 1),
        fc.constantFrom<'auto' | number>('auto', 0.1),
        fc.integer({ min: 1, max: 7 }),
        (x, seed, bootstrap, maxFeatures, contamination, slice) => {
          const options = { seed, bootstrap, maxFeatures, contamination, nEstimators: 13 };
          const growth = IsolationForest.grow(x, options);
          expect(() => growth.finish()).toThrow('0 of 13 trees grown');
          while (!growth.done) expect(growth.growTrees(slice)).toBeGreaterThan(0);
          expect(growth.grownTrees).toBe(13);
          const sliced = growth.finish().toState();
          const whole = IsolationForest.fit(x, options).toState();
          expect(sliced.json).toEqual(whole.json);
          for (const key of ['roots', 'feature', 'threshold', 'left'] as const) {
            expect(Array.from(sliced.arrays[key])).toEqual(Array.from(whole.arrays[key]));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is reproducible from its seed and differs between seeds', () => {
    const a = IsolationForest.fit(reference, { seed: 5 }).scoreSamples(reference);
    const b = IsolationForest.fit(reference, { seed: 5 }).scoreSamples(reference);
    const c = IsolationForest.fit(reference, { seed: 6 }).scoreSamples(reference);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('resolves the subsample and depth as scikit-learn: auto = min(256, n), depth ceil(log2(max_samples))', () => {
    const forest = IsolationForest.fit(reference);
    expect(forest.parameters).toMatchObject({ nEstimators: 100, maxSamples: 256, maxDepth: 8, offset: -0.5 });
    expect(IsolationForest.fit(normalMatrix(100, 2, 1)).parameters).toMatchObject({
      maxSamples: 100,
      maxDepth: 7,
    });
    expect(IsolationForest.fit(reference, { maxSamples: 0.25 }).parameters.maxSamples).toBe(150);
    expect(IsolationForest.fit(reference, { maxSamples: 5000 }).parameters.maxSamples).toBe(600);
    // A tree of depth 8 has at most 2^9 - 1 nodes.
    expect(forest.nodeCount).toBeLessThanOrEqual(100 * 511);
  });

  it('isolates a far point: it scores near -1, the bulk near -0.5', () => {
    const data = Float64Array.from(reference.data);
    data.set([40, -40, 40, -40], 0);
    const x = { ...reference, data };
    const scores = IsolationForest.fit(x, { seed: 1 }).scoreSamples(x);
    expect(scores[0]).toBeLessThan(-0.7);
    const bulk = percentile(scores.subarray(1), 50);
    expect(bulk).toBeGreaterThan(-0.5);
    expect(bulk).toBeLessThan(-0.35);
  });

  it('scores every point in [-1, 0) and decisionFunction = scoreSamples - offset (property)', () => {
    fc.assert(
      fc.property(smallMatrix(3), fc.integer(), fc.boolean(), (x, seed, bootstrap) => {
        const forest = IsolationForest.fit(x, { seed, bootstrap, nEstimators: 10 });
        const scores = forest.scoreSamples(x);
        const decision = forest.decisionFunction(x);
        scores.forEach((s, i) => {
          expect(s).toBeGreaterThanOrEqual(-1);
          expect(s).toBeLessThan(0);
          expect(decision[i]).toBe(s - IFOREST_AUTO_OFFSET);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same scores when a column is scaled by a power of two (property: the thresholds scale exactly)', () => {
    fc.assert(
      fc.property(smallMatrix(2), fc.integer(), fc.constantFrom(0.25, 0.5, 2, 8), (x, seed, factor) => {
        const scaled = { ...x, data: x.data.map((v, t) => (t % 2 === 1 ? v * factor : v)) };
        const a = IsolationForest.fit(x, { seed, nEstimators: 10 }).scoreSamples(x);
        const b = IsolationForest.fit(scaled, { seed, nEstimators: 10 }).scoreSamples(scaled);
        expect(b).toEqual(a);
      }),
      { numRuns: 60 },
    );
  });

  it('leaves identical rows unsplit: every point lands in the root with c(n) added', () => {
    const x = { rows: 50, cols: 2, data: new Float64Array(100).fill(3) };
    const forest = IsolationForest.fit(x, { nEstimators: 5 });
    expect(forest.nodeCount).toBe(5);
    const expected = -(2 ** -(averagePathLength(50) / averagePathLength(50)));
    for (const s of forest.scoreSamples(x)) expect(s).toBeCloseTo(expected, 15);
    // One row per tree: c(1) = 0, scikit-learn takes a ratio of 1 (score -0.5).
    expect(
      Array.from(IsolationForest.fit(normalMatrix(1, 3, 1)).scoreSamples(normalMatrix(3, 3, 2))),
    ).toEqual([-0.5, -0.5, -0.5]);
  });

  it('sets the offset at the contamination percentile of the reference scores, flagging about that share', () => {
    const forest = IsolationForest.fit(reference, { contamination: 0.1, seed: 3 });
    const scores = forest.scoreSamples(reference);
    expect(forest.offset).toBe(percentile(scores, 10));
    const flagged = forest.predict(reference).filter(Boolean).length;
    expect(flagged).toBe(60);
  });

  it('uses a share of the columns per tree under maxFeatures', () => {
    const forest = IsolationForest.fit(reference, { maxFeatures: 0.5, seed: 2 });
    const state = forest.toState();
    const perTree = new Set<string>();
    for (let t = 0; t < 100; t++) {
      const used = new Set<number>();
      const end = t + 1 < 100 ? state.arrays.roots[t + 1]! : state.arrays.feature.length;
      for (let k = state.arrays.roots[t]!; k < end; k++)
        if (state.arrays.feature[k]! >= 0) used.add(state.arrays.feature[k]!);
      expect(used.size).toBeLessThanOrEqual(2);
      perTree.add([...used].sort().join());
    }
    expect(perTree.size).toBeGreaterThan(1);
  });

  it('round-trips its state through JSON and Float64Arrays, and refuses a corrupt one naming the fault', () => {
    const forest = IsolationForest.fit(reference, { seed: 9, contamination: 0.05 });
    const state = forest.toState();
    const revived: IsolationForestState = {
      json: JSON.parse(JSON.stringify(state.json)),
      arrays: {
        roots: Float64Array.from(state.arrays.roots),
        feature: Float64Array.from(state.arrays.feature),
        threshold: Float64Array.from(state.arrays.threshold),
        left: Float64Array.from(state.arrays.left),
      },
    };
    const restored = IsolationForest.fromState(revived);
    expect(restored.decisionFunction(reference)).toEqual(forest.decisionFunction(reference));
    expect(restored.offset).toBe(forest.offset);

    const split = state.arrays.feature.findIndex((f) => f >= 0);
    const corrupt = (change: (s: IsolationForestState) => void) => {
      const copy: IsolationForestState = {
        json: { ...revived.json },
        arrays: {
          roots: revived.arrays.roots.slice(),
          feature: revived.arrays.feature.slice(),
          threshold: revived.arrays.threshold.slice(),
          left: revived.arrays.left.slice(),
        },
      };
      change(copy);
      return () => IsolationForest.fromState(copy);
    };
    expect(corrupt((s) => ((s.json as { schemaVersion: number }).schemaVersion = 2))).toThrow(
      'schemaVersion 2',
    );
    expect(corrupt((s) => (s.arrays.left[split] = split))).toThrow(`node ${split}'s children`);
    expect(corrupt((s) => (s.arrays.feature[split] = 4))).toThrow(`node ${split} splits on column 4`);
    expect(corrupt((s) => (s.arrays.threshold[3] = Number.NaN))).toThrow('node 3 has a non-finite threshold');
    expect(corrupt((s) => ((s.json as { nEstimators: number }).nEstimators = 99))).toThrow('100 roots');
  });

  it('refuses bad input, naming the field, row and column', () => {
    const bad = { ...reference, data: reference.data.slice() };
    bad.data[4 * 7 + 2] = Number.NaN;
    expect(() => IsolationForest.fit(bad)).toThrow('reference, row 7, column 2: NaN is not allowed');
    const forest = IsolationForest.fit(reference, { nEstimators: 3 });
    expect(() => forest.scoreSamples(bad)).toThrow('batch, row 7, column 2');
    expect(() => forest.scoreSamples(normalMatrix(3, 5, 1))).toThrow('batch: expected 4 columns');
    expect(() => IsolationForest.fit({ rows: 0, cols: 4, data: new Float64Array(0) })).toThrow(
      'at least one row',
    );
    expect(() => IsolationForest.fit(reference, { nEstimators: 0 })).toThrow('nEstimators');
    expect(() => IsolationForest.fit(reference, { maxSamples: 0.001 })).toThrow('leaves no row');
    expect(() => IsolationForest.fit(reference, { maxSamples: -3 })).toThrow('maxSamples');
    expect(() => IsolationForest.fit(reference, { maxFeatures: 1.5 })).toThrow('maxFeatures');
    expect(() => IsolationForest.fit(reference, { contamination: 0.6 })).toThrow('contamination');
    expect(() => IsolationForest.fit(reference, { seed: 1.5 })).toThrow('seed');
    expect(() => IsolationForest.fit(reference, { maxNodes: 50_000 })).toThrow(
      'isolation forest: 100 trees of up to 511 nodes (maxSamples 256) exceed maxNodes 50000; lower maxSamples or nEstimators',
    );
  });
});
