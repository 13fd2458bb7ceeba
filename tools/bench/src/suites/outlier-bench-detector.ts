/**
 * The detector the outlier suite's service parts share: an Isolation Forest named
 * `iris-od` (100 trees, subsample 256, scikit-learn's defaults) fitted on iris-like rows of
 * one FP32 tensor `input` [n, 4], with its threshold at the reference's 95th percentile, so
 * it is ready for Predict and live scoring once Fit returns.
 */
import { seededRandom } from '@sightline/stats';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import type { OutlierBenchClient } from '../servers/outlier-process.js';

/** The detector's name and settings. */
export const OUTLIER_BENCH_DETECTOR = {
  name: 'iris-od',
  trees: 100,
  maxSamples: 256,
  thresholdPercentile: 95,
  referenceRows: 1_000,
  seed: 11,
} as const;

const IRIS_MEANS = [5.8, 3.0, 3.8, 1.2] as const;

/** Iris-like rows (iris's means, uniform spread of 1), row-major `[rows, 4]`. */
export function irisLikeRows(rows: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const data = new Float32Array(rows * 4);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < 4; c++) data[r * 4 + c] = IRIS_MEANS[c]! + random.nextFloat() - 0.5;
  return data;
}

/** Creates and fits the detector on the service; resolves with the threshold Fit set. */
export async function fitBenchDetector(client: OutlierBenchClient, reference: Float32Array): Promise<number> {
  const d = OUTLIER_BENCH_DETECTOR;
  await client.createDetector({
    name: d.name,
    config: {
      iforest: { nEstimators: d.trees, maxSamples: d.maxSamples, seed: d.seed },
      thresholdPercentile: d.thresholdPercentile,
    },
  });
  const fitted = await client.fit({
    name: d.name,
    data: encodeTensorMessages([createTensor('input', 'FP32', [reference.length / 4, 4], reference)], 'raw'),
    referenceSource: 'tools/bench',
  });
  const threshold = fitted.detector?.threshold;
  if (threshold === undefined) throw new Error(`detector "${d.name}": Fit set no threshold`);
  return threshold;
}
