import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { CategoryCounts } from './category-counts.js';
import { QuantileSketch } from './quantile-sketch.js';

/** Exact value at rank q (count - 1), rounded down: DDSketch's rank convention. */
function exactQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function withinAccuracy(estimate: number, exact: number, alpha: number): boolean {
  // Tiny slack for rounding in the logarithmic mapping.
  return Math.abs(estimate - exact) <= alpha * Math.abs(exact) * (1 + 1e-9) + 1e-12;
}

const QUANTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1];

describe('QuantileSketch', () => {
  it('quantiles are within the stated relative accuracy on mixed-sign data', () => {
    const random = seededRandom(1);
    const values = Float64Array.from({ length: 20_000 }, () => random.nextNormal() * 50 + 10);
    const sketch = new QuantileSketch().addAll(values);
    const sorted = values.slice().sort();
    for (const q of QUANTILES) {
      expect(withinAccuracy(sketch.quantile(q), exactQuantile(sorted, q), sketch.relativeAccuracy)).toBe(
        true,
      );
    }
    expect(sketch.count).toBe(20_000);
    expect(sketch.min).toBe(sorted[0]);
    expect(sketch.max).toBe(sorted[sorted.length - 1]);
  });

  it('merge equals the sketch of the concatenation, within the stated accuracy (property)', () => {
    const values = fc.float64Array({ minLength: 1, maxLength: 300, min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(values, values, fc.constantFrom(0.01, 0.02, 0.05), (a, b, alpha) => {
        const merged = new QuantileSketch({ relativeAccuracy: alpha })
          .addAll(a)
          .merge(new QuantileSketch({ relativeAccuracy: alpha }).addAll(b));
        const whole = new QuantileSketch({ relativeAccuracy: alpha }).addAll(a).addAll(b);
        const sorted = Float64Array.from([...a, ...b]).sort();
        expect(merged.count).toBe(sorted.length);
        for (const q of QUANTILES) {
          expect(merged.quantile(q)).toBe(whole.quantile(q));
          expect(withinAccuracy(merged.quantile(q), exactQuantile(sorted, q), alpha)).toBe(true);
        }
      }),
      // The case the library's own store merge got wrong (a bin of the maximum lost when the
      // key range grew past the store's length), then random ones.
      {
        numRuns: 60,
        examples: [
          [
            Float64Array.from([1.157946599835381e-308, 0]),
            Float64Array.from([0.9607843137254902, 1.157946599835381e-308]),
            0.02,
          ],
        ],
      },
    );
  });

  it('cdf equals the exact CDF at a point within a factor gamma = (1 + a) / (1 - a) of x', () => {
    const random = seededRandom(2);
    const values = Float64Array.from({ length: 5_000 }, () => random.nextNormal() * 3);
    const sketch = new QuantileSketch({ relativeAccuracy: 0.02 }).addAll(values);
    const exactCdf = (x: number) => values.filter((v) => v <= x).length / values.length;
    for (const x of [-5, -1, -0.1, 0, 0.1, 1, 2.5, 5]) {
      const gamma = 1.02 / 0.98;
      const lo = Math.min(x / gamma, x * gamma);
      const hi = Math.max(x / gamma, x * gamma);
      const estimate = sketch.cdf(x);
      expect(estimate).toBeGreaterThanOrEqual(exactCdf(lo) - 1e-12);
      expect(estimate).toBeLessThanOrEqual(exactCdf(hi) + 1e-12);
    }
    expect(sketch.cdf(-100)).toBe(0);
    expect(sketch.cdf(100)).toBe(1);
  });

  it('survives JSON and back, and refuses another schema version', () => {
    const random = seededRandom(3);
    const sketch = new QuantileSketch().addAll(Array.from({ length: 1_000 }, () => random.nextNormal()));
    const json = JSON.parse(JSON.stringify(sketch));
    const restored = QuantileSketch.fromJSON(json);
    expect(restored.count).toBe(sketch.count);
    expect(restored.min).toBe(sketch.min);
    expect(restored.max).toBe(sketch.max);
    expect(restored.sum).toBeCloseTo(sketch.sum, 9);
    for (const q of QUANTILES) expect(restored.quantile(q)).toBe(sketch.quantile(q));
    expect(() => QuantileSketch.fromJSON({ ...json, schemaVersion: 2 })).toThrow('schemaVersion 2');
    expect(QuantileSketch.fromJSON(new QuantileSketch().toJSON()).count).toBe(0);
    expect(() => QuantileSketch.fromJSON({ ...json, ddsketch: '////' })).toThrow(
      'not a valid DDSketch protobuf',
    );
    expect(() => QuantileSketch.fromJSON({ ...json, count: json.count + 1 })).toThrow('disagrees');
  });

  it('survives its sparse bins form byte for byte, and merging that form equals merging the sketch (property)', () => {
    const values = fc.float64Array({ minLength: 0, maxLength: 200, min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(values, values, fc.constantFrom(0.01, 0.05), (a, b, alpha) => {
        const sa = new QuantileSketch({ relativeAccuracy: alpha }).addAll(a);
        const sb = new QuantileSketch({ relativeAccuracy: alpha }).addAll(b);
        const text = JSON.stringify(sa.toBinsJSON());
        const restored = QuantileSketch.fromBinsJSON(JSON.parse(text));
        expect(JSON.stringify(restored.toBinsJSON())).toBe(text);
        expect(restored.buckets()).toEqual(sa.buckets());
        expect(restored.sum).toBe(sa.sum);
        const viaSketch = new QuantileSketch({ relativeAccuracy: alpha }).addAll(b).merge(sa);
        const viaBins = sb.mergeBinsJSON(JSON.parse(text));
        expect(viaBins.buckets()).toEqual(viaSketch.buckets());
        expect(viaBins.count).toBe(viaSketch.count);
        for (const q of QUANTILES) {
          if (viaSketch.count > 0) expect(viaBins.quantile(q)).toBe(viaSketch.quantile(q));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a bad sparse form naming the field, leaving the sketch unchanged', () => {
    const sketch = new QuantileSketch().addAll([1, 2, 3, -4, 0]);
    const json = sketch.toBinsJSON();
    const target = new QuantileSketch().addAll([7]);
    const cases: Array<[object, RegExp]> = [
      [{ ...json, schemaVersion: 2 }, /^schemaVersion: expected 1, got 2$/],
      [
        { ...json, relativeAccuracy: 0.05 },
        /^relativeAccuracy: cannot merge relative accuracy 0.05 into 0.01$/,
      ],
      [{ ...json, count: 6 }, /^count: 6 disagrees with the 5 values in the bins$/],
      [
        { ...json, positive: [...json.positive, 1] },
        /^positive: expected a flat array of \[key, count\] pairs$/,
      ],
      [
        { ...json, positive: [5, 1, 5, 1] },
        /^positive\[2\]: expected an integer key above the previous one, got 5$/,
      ],
      [{ ...json, negative: [3, -1] }, /^negative\[1\]: expected a count > 0, got -1$/],
      [{ ...json, min: null }, /^min: a non-empty sketch needs finite min <= max$/],
    ];
    for (const [bad, message] of cases) {
      expect(() => target.mergeBinsJSON(bad as never)).toThrow(message);
      expect(target.count).toBe(1);
    }
    expect(QuantileSketch.fromBinsJSON(new QuantileSketch().toBinsJSON()).count).toBe(0);
  });

  it('refuses NaN and merging different accuracies', () => {
    expect(() => new QuantileSketch().add(Number.NaN)).toThrow('NaN is not allowed');
    expect(() => new QuantileSketch().addAll([1, Number.POSITIVE_INFINITY])).toThrow('row 1');
    expect(() => new QuantileSketch().merge(new QuantileSketch({ relativeAccuracy: 0.05 }))).toThrow(
      'cannot merge',
    );
    expect(new QuantileSketch().quantile(0.5)).toBeNaN();
  });
});

describe('CategoryCounts', () => {
  it('merge equals the counts of the concatenation (property)', () => {
    const values = fc.array(fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 5 })), {
      maxLength: 50,
    });
    fc.assert(
      fc.property(values, values, (a, b) => {
        const merged = new CategoryCounts().addAll(a).merge(new CategoryCounts().addAll(b));
        const whole = new CategoryCounts().addAll([...a, ...b]);
        expect(merged.toMap()).toEqual(whole.toMap());
        expect(merged.total).toBe(a.length + b.length);
      }),
    );
  });

  it('pools categories beyond the limit as overflow, keeps totals, and round-trips JSON', () => {
    const counts = new CategoryCounts({ maxCategories: 2 }).addAll(['a', 'b', 'c', 'a', 1]);
    expect(counts.get('a')).toBe(2);
    expect(counts.get('c')).toBe(0);
    expect(counts.overflow).toBe(2);
    expect(counts.total).toBe(5);
    const restored = CategoryCounts.fromJSON(JSON.parse(JSON.stringify(counts)));
    expect(restored.toMap()).toEqual(counts.toMap());
    expect(restored.overflow).toBe(2);
    expect(() => counts.add('x', -1)).toThrow('count -1');
  });
});
