import { afterAll, describe, expect, it } from 'vitest';
import { normalMatrix } from '../../test/run-numpy.js';
import { balancedRowRanges } from './kernel-row-ranges.js';
import { KernelThreads } from './kernel-threads.js';
import { lsddPermutationTest } from './lsdd.js';
import { medianHeuristicSigma } from './median-heuristic.js';
import { mmdPermutationTest } from './mmd.js';

describe('KernelThreads', () => {
  const threads = KernelThreads.create(2);
  afterAll(() => threads.close());

  it.each([
    [300, 200, 4],
    [101, 57, 3], // odd row counts: the last range ends on an odd row
    [2, 3, 1],
  ])('MMD on %i vs %i rows in %i dims is identical to the single-threaded test', (n, m, d) => {
    const x = normalMatrix(n, d, n);
    const y = normalMatrix(m, d, m + 1, 0.2);
    const single = mmdPermutationTest(x, y, { seed: 5, permutations: 50 });
    // Per-chunk partial sums added in chunk order: identical, not merely close.
    expect(mmdPermutationTest(x, y, { seed: 5, permutations: 50, threads })).toEqual(single);
  });

  it('LSDD and the median bandwidth with threads equal the single-threaded results', () => {
    const ref = normalMatrix(160, 3, 8);
    const smp = normalMatrix(90, 3, 9, 0.3);
    const single = lsddPermutationTest(ref, smp, { seed: 2, permutations: 30 });
    const threaded = lsddPermutationTest(ref, smp, { seed: 2, permutations: 30, threads });
    expect(threaded).toEqual(single);
    expect(medianHeuristicSigma(ref, smp, { threads })).toBe(medianHeuristicSigma(ref, smp));
  });

  it('splits rows into ranges of about equal pair counts, on even boundaries', () => {
    const bounds = balancedRowRanges(2_000, 2);
    expect(bounds[0]).toBe(0);
    expect(bounds[2]).toBe(2_000);
    expect(bounds[1]! % 2).toBe(0);
    const pairs = (from: number, to: number) => {
      let s = 0;
      for (let i = from; i < to; i++) s += 2_000 - 1 - i;
      return s;
    };
    const ratio = pairs(bounds[0]!, bounds[1]!) / pairs(bounds[1]!, bounds[2]!);
    expect(Math.abs(ratio - 1)).toBeLessThan(0.01);
    // Tiny inputs may leave a range empty; bounds never go backwards.
    expect(balancedRowRanges(3, 3)).toEqual([0, 0, 2, 3]);
  });

  it('refuses work after close, saying what to do', async () => {
    const closed = KernelThreads.create(1);
    await closed.close();
    const x = normalMatrix(10, 2, 1);
    expect(() => mmdPermutationTest(x, x, { seed: 1, threads: closed })).toThrow(
      'kernel threads: closed; create a new KernelThreads',
    );
  });

  it('refuses a bad helper count', () => {
    expect(() => KernelThreads.create(0)).toThrow('helpers: expected an integer in [1, 64]');
  });
});
