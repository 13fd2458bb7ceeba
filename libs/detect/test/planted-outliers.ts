import { seededRandom } from '@sightline/stats';
import { type FeatureTable, fromRowMajor, type TableSchema } from '../src/table/feature-table.js';

/** A reference of inliers and a test table with planted outliers (label 1). */
export interface PlantedOutliers {
  readonly reference: FeatureTable;
  readonly test: FeatureTable;
  readonly labels: Uint8Array;
}

/** Shape of {@link lowRankWithOutliers}'s data. */
export interface LowRankOptions {
  readonly features?: number;
  /** Dimension of the plane the inliers lie near. */
  readonly latent?: number;
  readonly referenceRows?: number;
  readonly testInliers?: number;
  readonly testOutliers?: number;
  /** Standard deviation of the inliers' isotropic noise around the plane. */
  readonly noise?: number;
  /** Outliers' standard deviation per feature, as a multiple of the inliers'. */
  readonly outlierScale?: number;
}

/** Names `x0`, `x1` ... of `features` numeric columns. */
export function numericSchema(features: number): TableSchema {
  return {
    names: Array.from({ length: features }, (_, j) => `x${j}`),
    kinds: Array(features).fill('numeric'),
    dictionaries: Array(features).fill(null),
  };
}

/**
 * Inliers near a random `latent`-dimensional plane through the origin of a `features`-
 * dimensional space (x = z A + noise, z standard normal), so their features are strongly
 * correlated. Outliers draw each feature independently, normal with `outlierScale` times the
 * inliers' standard deviation: their marginals look like slightly wide inliers, but they lie
 * off the plane. A method that models the correlation (the autoencoder) separates them
 * clearly; an axis-aligned one (isolation forest) does so only because they are wider.
 */
export function lowRankWithOutliers(seed: number, options: LowRankOptions = {}): PlantedOutliers {
  const features = options.features ?? 8;
  const latent = options.latent ?? 2;
  const noise = options.noise ?? 0.1;
  const scale = options.outlierScale ?? 1.75;
  const random = seededRandom(seed);
  const a = Array.from({ length: latent }, () => Array.from({ length: features }, () => random.nextNormal()));
  const inlierStd = Array.from({ length: features }, (_, j) =>
    Math.sqrt(a.reduce((sum, row) => sum + row[j]! ** 2, 0) + noise ** 2),
  );
  const inlier = (): number[] => {
    const z = Array.from({ length: latent }, () => random.nextNormal());
    return Array.from(
      { length: features },
      (_, j) => z.reduce((sum, zk, k) => sum + zk * a[k]![j]!, 0) + noise * random.nextNormal(),
    );
  };
  const outlier = (): number[] => inlierStd.map((s) => scale * s * random.nextNormal());
  const table = (rows: number[][]): FeatureTable =>
    fromRowMajor(numericSchema(features), Float64Array.from(rows.flat()), rows.length);
  const reference = Array.from({ length: options.referenceRows ?? 1000 }, inlier);
  const inliers = Array.from({ length: options.testInliers ?? 500 }, inlier);
  const outliers = Array.from({ length: options.testOutliers ?? 50 }, outlier);
  const labels = new Uint8Array(inliers.length + outliers.length).fill(1, inliers.length);
  return { reference: table(reference), test: table([...inliers, ...outliers]), labels };
}

/** ROC AUC of `scores` for `labels` (1 = positive): the Mann-Whitney statistic, ties counting half. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((i, j) => scores[i]! - scores[j]!);
  // Average ranks (1-based) over runs of tied scores.
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      positives++;
      rankSum += ranks[i]!;
    }
  }
  const negatives = labels.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
