import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalMatrix } from '../../test/run-numpy.js';
import {
  distanceRowRange,
  kernelRowRange,
  kernelScratchLength,
  listMembership,
} from './kernel-row-ranges.js';
import { squaredDistance } from './pairwise-distances.js';

const pairIndex = (n: number, i: number, j: number) => i * n - (i * (i + 1)) / 2 + j - i - 1;

describe('distanceRowRange', () => {
  it.each([1, 2, 3, 4, 5, 7, 13, 14])(
    'equals per-pair differences on %i rows, over one range and over ranges of every length 1-5',
    (n) => {
      const z = normalMatrix(n, 5, n);
      const norms = new Float64Array(n);
      for (let i = 0; i < n; i++) norms[i] = squaredDistance(z.data, i * 5, new Float64Array(5), 0, 5);
      const pairs = (n * (n - 1)) / 2;
      const whole = new Float64Array(pairs);
      distanceRowRange(z.data, norms, n, 5, whole, 0, n);
      const pieces = new Float64Array(pairs);
      // Ranges of 1, 2, 3, 4, 5 rows: every 2-row tile and leftover path.
      for (let from = 0, len = 1; from < n; from += len, len = (len % 5) + 1) {
        distanceRowRange(z.data, norms, n, 5, pieces, from, Math.min(n, from + len));
      }
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const direct = squaredDistance(z.data, i * 5, z.data, j * 5, 5);
          const at = pairIndex(n, i, j);
          expect(Math.abs(whole[at]! - direct)).toBeLessThanOrEqual(1e-12 * (norms[i]! + norms[j]!));
          expect(pieces[at]).toBe(whole[at]);
        }
      }
    },
  );
});

describe('kernelRowRange', () => {
  /** Row sums and within-list sums with Math.exp, pair by pair. */
  function direct(packed: Float64Array, total: number, gamma: number, lists: Int32Array, k: number) {
    const kernel = (i: number, j: number) =>
      i === j ? 0 : Math.exp(-gamma * packed[pairIndex(total, Math.min(i, j), Math.max(i, j))]!);
    const rowSums = Array.from({ length: total }, (_, i) => {
      let s = 0;
      for (let j = 0; j < total; j++) s += kernel(i, j);
      return s;
    });
    const within = Array.from({ length: lists.length / k }, (_, p) => {
      let s = 0;
      for (let a = 0; a < k; a++)
        for (let b = a + 1; b < k; b++) s += kernel(lists[p * k + a]!, lists[p * k + b]!);
      return s;
    });
    return { rowSums, within };
  }

  it('row sums and within-list sums equal Math.exp sums to 1e-14, over any split into ranges', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }).chain((total) =>
          fc.tuple(
            fc.constant(total),
            // Distances from 0 to far past exp's underflow (gamma x d² > 745).
            fc.float64Array({
              minLength: (total * (total - 1)) / 2,
              maxLength: (total * (total - 1)) / 2,
              min: 0,
              max: 2_000,
              noNaN: true,
              noDefaultInfinity: true,
            }),
            fc.double({ min: 1e-3, max: 3, noNaN: true }),
            fc.integer({ min: 1, max: total }),
            fc.array(fc.array(fc.boolean(), { minLength: total, maxLength: total }), {
              minLength: 1,
              maxLength: 6,
            }),
            fc.integer({ min: 1, max: total }),
          ),
        ),
        ([total, packed, gamma, k, picks, split]) => {
          // Each list: its picked rows, topped up from the others to k, sorted.
          const lists = new Int32Array(picks.length * k);
          picks.forEach((pick, p) => {
            const rows = Array.from({ length: total }, (_, i) => i);
            const chosen = [...rows.filter((i) => pick[i]), ...rows.filter((i) => !pick[i])].slice(0, k);
            lists.set(
              chosen.sort((a, b) => a - b),
              p * k,
            );
          });
          const members = listMembership(lists, k, picks.length, total);
          const rowSums = new Float64Array(total);
          const within = new Float64Array(picks.length);
          const scratch = new Float64Array(kernelScratchLength(total));
          kernelRowRange(
            packed,
            total,
            gamma,
            lists,
            k,
            members.starts,
            members.lists,
            members.next,
            0,
            split,
            rowSums,
            within,
            scratch,
          );
          kernelRowRange(
            packed,
            total,
            gamma,
            lists,
            k,
            members.starts,
            members.lists,
            members.next,
            split,
            total,
            rowSums,
            within,
            scratch,
          );
          const expected = direct(packed, total, gamma, lists, k);
          const close = (actual: number, wanted: number) => {
            expect(Math.abs(actual - wanted)).toBeLessThanOrEqual(1e-14 * (1 + Math.abs(wanted)));
          };
          for (const [i, s] of expected.rowSums.entries()) close(rowSums[i]!, s);
          for (const [p, s] of expected.within.entries()) close(within[p]!, s);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('its exponential is within 1e-15 relative of Math.exp from 0 to underflow', () => {
    // Row 0 of a (width + 1)-row matrix only: rowSums[j] is then the kernel value of pair (0, j).
    const width = 2_000;
    const total = width + 1;
    const members = listMembership(new Int32Array([0]), 1, 1, total);
    const scratch = new Float64Array(kernelScratchLength(total));
    let worst = 0;
    for (let part = 0; part < 100; part++) {
      const distances = Float64Array.from(
        { length: width },
        (_, t) => ((part * width + t) / (100 * width)) ** 2 * 745,
      );
      const rowSums = new Float64Array(total);
      kernelRowRange(
        distances,
        total,
        1,
        new Int32Array([0]),
        1,
        members.starts,
        members.lists,
        members.next,
        0,
        1,
        rowSums,
        new Float64Array(1),
        scratch,
      );
      for (let t = 0; t < width; t++) {
        const wanted = Math.exp(-distances[t]!);
        if (wanted > 1e-300) worst = Math.max(worst, Math.abs(rowSums[t + 1]! - wanted) / wanted);
        else expect(rowSums[t + 1]!).toBeLessThanOrEqual(1e-300);
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-15);
    const rowSums = new Float64Array(3);
    kernelRowRange(
      new Float64Array([800, 0]),
      3,
      1,
      new Int32Array([0]),
      1,
      listMembership(new Int32Array([0]), 1, 1, 3).starts,
      new Int32Array(1),
      new Int32Array(1),
      0,
      1,
      rowSums,
      new Float64Array(1),
      new Float64Array(kernelScratchLength(3)),
    );
    expect(rowSums[1]).toBe(0);
    expect(rowSums[2]).toBe(1);
  });
});
