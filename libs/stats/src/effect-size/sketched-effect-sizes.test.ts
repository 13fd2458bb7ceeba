import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { QuantileSketch } from '../sketch/quantile-sketch.js';
import { numericEffectSizes } from './effect-sizes.js';
import { sketchedNumericEffectSizes } from './sketched-effect-sizes.js';

describe('sketchedNumericEffectSizes', () => {
  const random = seededRandom(17);
  const normal = (n: number, mean: number, sd: number) =>
    Float64Array.from({ length: n }, () => mean + sd * random.nextNormal());
  const reference = normal(10_000, 100, 10).sort();

  it.each([
    ['no drift', 0, 10],
    ['shifted', 5, 10],
    ['wider', 0, 20],
  ])('%s: close to the exact effect sizes of the raw window', (_, shift, sd) => {
    const window = normal(20_000, 100 + shift, sd);
    const exact = numericEffectSizes(reference, window);
    // Two replicas' halves, merged, as the drift service would see them.
    const sketch = new QuantileSketch()
      .addAll(window.subarray(0, 10_000))
      .merge(new QuantileSketch().addAll(window.subarray(10_000)));
    const approx = sketchedNumericEffectSizes(reference, sketch);
    // Bins move by at most one sketch bucket (about 2% of ~100 here) at each edge.
    expect(Math.abs(approx.psi - exact.psi)).toBeLessThanOrEqual(0.02 + 0.1 * exact.psi);
    expect(Math.abs(approx.jensenShannon - exact.jensenShannon)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(approx.hellinger - exact.hellinger)).toBeLessThanOrEqual(0.03);
    // Each window quantile is within 1% of ~100: W1 within about 1 unit.
    expect(Math.abs(approx.wasserstein! - exact.wasserstein!)).toBeLessThanOrEqual(1.2);
  });

  it('refuses an empty sketch', () => {
    expect(() => sketchedNumericEffectSizes(reference, new QuantileSketch())).toThrow(
      'sample: the sketch is empty',
    );
  });
});
