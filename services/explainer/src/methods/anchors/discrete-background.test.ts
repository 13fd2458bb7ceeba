import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { hasPython, runPython } from '../../../test/run-python.js';
import type { FeatureSpace, WeightedRows } from '../method.js';
import { codeOf, discretiseBackground } from './discrete-background.js';
import { pythonFixed } from './python-fixed.js';

function background(columns: number[][], weights?: number[]): WeightedRows {
  const count = columns[0]!.length;
  const featureCount = columns.length;
  const rows = new Float64Array(count * featureCount);
  for (let i = 0; i < count; i++)
    for (let f = 0; f < featureCount; f++) rows[i * featureCount + f] = columns[f]![i]!;
  return { featureCount, rows, count, weights: Float64Array.from(weights ?? new Array(count).fill(1)) };
}

const space = (n: number, categorical = new Map<number, readonly string[]>()): FeatureSpace => ({
  featureCount: n,
  featureNames: Array.from({ length: n }, (_, f) => `x${f}`),
  categorical,
});

describe.skipIf(!hasPython)("discretiseBackground against Alibi's Discretizer (numpy)", () => {
  it('cuts at np.unique(np.percentile(...)) and bins as np.searchsorted', () => {
    const random = seededRandom(7);
    const columns = [
      Array.from({ length: 150 }, () => Math.round(random.nextNormal() * 20) / 10),
      Array.from({ length: 150 }, () => random.nextFloat() * 100),
      [...new Array(120).fill(1), ...Array.from({ length: 30 }, (_, i) => i)],
    ];
    const percentiles = [
      [25, 50, 75],
      [10, 20, 30, 40, 50, 60, 70, 80, 90],
      [33.3, 66.6],
    ];
    // One python run for all three settings (its start-up dominates).
    const expected = runPython<{ edges: number[][]; codes: number[][]; names: string[][] }[]>(
      `out = []
for q in data["qs"]:
    edges = [np.unique(np.percentile(np.array(c), q)) for c in data["columns"]]
    codes = [np.searchsorted(e, np.array(c)).tolist() for e, c in zip(edges, data["columns"])]
    names = [["%.2f" % v for v in e] for e in edges]
    out.append({"edges": [e.tolist() for e in edges], "codes": codes, "names": names})
print(json.dumps(out))`,
      { columns, qs: percentiles },
    );
    percentiles.forEach((disc, k) => {
      const fitted = discretiseBackground(background(columns), space(3), disc);
      fitted.codings.forEach((coding, f) => {
        if (coding.kind !== 'numeric') throw new Error('numeric expected');
        expect(Array.from(coding.edges)).toEqual(expected[k]!.edges[f]);
        expect(Array.from(coding.edges, (e) => pythonFixed(e))).toEqual(expected[k]!.names[f]);
        for (let i = 0; i < 150; i++) expect(fitted.codes[i * 3 + f]).toBe(expected[k]!.codes[f]![i]);
      });
    });
  });
});

describe('discretiseBackground', () => {
  it('counts a weighted row as its weight in the percentiles', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8];
    const even = discretiseBackground(background([values]), space(1), [50]);
    const heavyTop = discretiseBackground(background([values], [1, 1, 1, 1, 1, 1, 1, 20]), space(1), [50]);
    const edge = (d: typeof even) =>
      d.codings[0]!.kind === 'numeric' ? d.codings[0]!.edges[0]! : Number.NaN;
    expect(edge(even)).toBe(4.5);
    expect(edge(heavyTop)).toBeGreaterThan(7);
  });

  it('codes categorical features by category index, anything else as no category', () => {
    const fitted = discretiseBackground(
      background([
        [0, 1, 2, 1, 7, 0.5],
        [1, 2, 3, 4, 5, 6],
      ]),
      space(2, new Map([[0, ['red', 'green', 'blue']]])),
      [50],
    );
    expect(fitted.codings[0]).toEqual({ kind: 'categorical', names: ['red', 'green', 'blue'] });
    expect(Array.from({ length: 6 }, (_, i) => fitted.codes[i * 2])).toEqual([0, 1, 2, 1, 3, 3]);
    const { order, offsets } = fitted.rowsByCode[0]!;
    expect(Array.from(order.subarray(offsets[1]!, offsets[2]!))).toEqual([1, 3]);
    expect(codeOf(2, fitted.codings[0]!)).toBe(2);
  });

  it('names a background value that is not finite', () => {
    expect(() => discretiseBackground(background([[1, Number.NaN]]), space(1), [50])).toThrow(
      /background row 1, feature "x0": must be finite, got NaN/,
    );
  });
});
