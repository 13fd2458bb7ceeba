import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DenseMatrix } from '../src/matrix.js';
import { type SeededRandom, seededRandom } from '../src/random/seeded-random.js';

/** A data set with planted outliers: label 1 marks an outlier. */
export interface LabelledSet {
  readonly name: string;
  readonly x: DenseMatrix;
  readonly labels: Uint8Array;
}

function assemble(name: string, inliers: number[][], outliers: number[][]): LabelledSet {
  const rows = [...inliers, ...outliers];
  const cols = rows[0]!.length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => {
    data.set(row, i * cols);
  });
  const labels = new Uint8Array(rows.length);
  labels.fill(1, inliers.length);
  return { name, x: { rows: rows.length, cols, data }, labels };
}

function uniformBox(random: SeededRandom, n: number, low: number[], high: number[]): number[][] {
  return Array.from({ length: n }, () => low.map((lo, j) => lo + (high[j]! - lo) * random.nextFloat()));
}

/** 1,000 standard normal points in 5 dimensions, 50 outliers uniform in [-6, 6]^5 (some land inside the blob). */
export function gaussianBlob(seed = 1): LabelledSet {
  const r = seededRandom(seed);
  const d = 5;
  const inliers = Array.from({ length: 1000 }, () => Array.from({ length: d }, () => r.nextNormal()));
  const outliers = uniformBox(r, 50, Array(d).fill(-6), Array(d).fill(6));
  return assemble('gaussian blob + uniform outliers', inliers, outliers);
}

/** Two interleaved half circles (scikit-learn's make_moons shape, noise 0.1), 60 outliers uniform in the surrounding box. */
export function twoMoons(seed = 2): LabelledSet {
  const r = seededRandom(seed);
  const inliers: number[][] = [];
  for (let i = 0; i < 800; i++) {
    const t = Math.PI * r.nextFloat();
    const [x, y] = i % 2 === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    inliers.push([x + 0.1 * r.nextNormal(), y + 0.1 * r.nextNormal()]);
  }
  const outliers = uniformBox(r, 60, [-1.5, -1], [2.5, 1.5]);
  return assemble('two moons + uniform outliers', inliers, outliers);
}

/** Three gaussian clusters of different spreads in 4 dimensions, 40 outliers uniform in the box around them. */
export function multimodal(seed = 3): LabelledSet {
  const r = seededRandom(seed);
  const centres = [
    [0, 0, 0, 0],
    [6, 6, 0, -3],
    [-5, 4, 5, 2],
  ];
  const spreads = [1, 0.5, 1.5];
  const inliers = Array.from({ length: 900 }, (_, i) =>
    centres[i % 3]!.map((c) => c + spreads[i % 3]! * r.nextNormal()),
  );
  const outliers = uniformBox(r, 40, [-9, -4, -5, -6], [10, 10, 10, 6]);
  return assemble('three clusters + uniform outliers', inliers, outliers);
}

/**
 * Heavy-tailed inliers: Student t with 3 degrees of freedom in 3 dimensions (normal over
 * sqrt(chi2(3)/3)), so some inliers lie far out; 40 outliers on a shell of radius 5 to 8.
 */
export function heavyTailed(seed = 4): LabelledSet {
  const r = seededRandom(seed);
  const d = 3;
  const df = 3;
  const inliers = Array.from({ length: 1000 }, () => {
    let chi2 = 0;
    for (let k = 0; k < df; k++) chi2 += r.nextNormal() ** 2;
    const scale = Math.sqrt(chi2 / df);
    return Array.from({ length: d }, () => r.nextNormal() / scale);
  });
  const outliers = Array.from({ length: 40 }, () => {
    const direction = Array.from({ length: d }, () => r.nextNormal());
    const norm = Math.hypot(...direction);
    const radius = 5 + 3 * r.nextFloat();
    return direction.map((v) => (v / norm) * radius);
  });
  return assemble('student t(3) + shell outliers', inliers, outliers);
}

const here = dirname(fileURLToPath(import.meta.url));

function readCsv(path: string): { header: string[]; rows: number[][] } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  return {
    header: lines[0]!.split(','),
    rows: lines.slice(1).map((line) => line.split(',').map(Number)),
  };
}

/**
 * A real set in the ODDS manner: the rows of every class except `outlierClass` are the
 * inliers, every `stride`-th row of `outlierClass` (at most `count`) the outliers.
 */
function plantedFromClasses(
  name: string,
  path: string,
  labelColumn: string,
  outlierClass: number,
  stride: number,
  count: number,
): LabelledSet {
  const { header, rows } = readCsv(path);
  const label = header.indexOf(labelColumn);
  const features = (row: number[]) => row.filter((_, j) => j !== label);
  const inliers = rows.filter((row) => row[label] !== outlierClass).map(features);
  const outliers = rows
    .filter((row) => row[label] === outlierClass)
    .filter((_, k) => k % stride === 0)
    .slice(0, count)
    .map(features);
  return assemble(name, inliers, outliers);
}

/**
 * Breast Cancer Wisconsin (libs/stats/test-data/breast-cancer.csv), as ODDS's "wbc": the 357
 * benign cases inliers, 21 malignant ones (every 10th) outliers; 30 columns.
 */
export function breastCancer(): LabelledSet {
  return plantedFromClasses(
    'breast cancer (UCI), malignant planted',
    join(here, '../test-data/breast-cancer.csv'),
    'label',
    0,
    10,
    21,
  );
}

/** Iris (examples/data/iris.csv): versicolor and virginica inliers (100 rows), 10 setosa outliers (every 5th). */
export function iris(): LabelledSet {
  return plantedFromClasses(
    'iris, setosa planted',
    join(here, '../../../examples/data/iris.csv'),
    'species',
    0,
    5,
    10,
  );
}

/** ROC AUC of `scores` (higher = more abnormal) against `labels` (1 = outlier), ties counted half (Mann-Whitney). */
export function rocAuc(scores: ArrayLike<number>, labels: Uint8Array): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPositive = 0;
  let positives = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const midrank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        rankSumPositive += midrank;
        positives++;
      }
    }
    start = end + 1;
  }
  const negatives = scores.length - positives;
  return (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives);
}
