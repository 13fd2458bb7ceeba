import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryRocAuc, scoreTieGroups } from './roc-auc.js';

/** The definition, pair by pair: P(positive above negative) + P(tie) / 2. */
function pairwiseAuc(scores: readonly number[], positive: readonly boolean[]): number {
  let area = 0;
  let pairs = 0;
  scores.forEach((s, i) => {
    if (!positive[i]) return;
    scores.forEach((t, j) => {
      if (positive[j]) return;
      pairs += 1;
      area += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return pairs === 0 ? Number.NaN : area / pairs;
}

const rows = fc.array(
  fc.tuple(
    // Few distinct values, so ties within and across classes are common; -0 and 0 included.
    fc.oneof(
      fc.integer({ min: -3, max: 3 }).map((v) => v / 4),
      fc.constant(-0),
      fc.double({ noNaN: true }),
    ),
    fc.boolean(),
  ),
  { maxLength: 60 },
);

describe('binaryRocAuc from tie groups', () => {
  it('equals the pairwise definition exactly, ties included (property)', () => {
    fc.assert(
      fc.property(rows, (pairs) => {
        const scores = pairs.map(([s]) => s);
        const positive = pairs.map(([, p]) => p);
        expect(binaryRocAuc(scores, positive)).toBe(pairwiseAuc(scores, positive));
      }),
      { numRuns: 300 },
    );
  });

  it('groups rows by distinct score, ascending, counting both classes', () => {
    const groups = scoreTieGroups([0.5, 0.1, 0.5, 0.9, 0.1], [1, 0, 0, 1, 1]);
    expect(Array.from(groups.positives)).toEqual([1, 1, 1]);
    expect(Array.from(groups.negatives)).toEqual([1, 1, 0]);
  });
});
