import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { assertFiniteMatrix, type DenseMatrix } from '../matrix.js';
import { type SeededRandom, seededRandom } from '../random/seeded-random.js';
import { averagePathLength } from './average-path-length.js';
import { percentile } from './percentile.js';

/** Trees in the forest (scikit-learn's and Alibi Detect's default). */
export const DEFAULT_IFOREST_TREES = 100;
/** Rows drawn per tree under `maxSamples: 'auto'`: min(this, rows) (scikit-learn's 256). */
export const IFOREST_AUTO_MAX_SAMPLES = 256;
/** Largest forest accepted: a fit holds about 2 x maxSamples nodes per tree (24 bytes each). */
export const MAX_IFOREST_TREES = 10_000;
/**
 * Largest forest built by default, in nodes (trees x (2 maxSamples - 1) at most): 16 bytes
 * each while growing, so 160 MB. The defaults need 51,100; a subsample of all 100,000 rows of a
 * reference would need 20 million. Raise with the `maxNodes` option.
 */
export const DEFAULT_IFOREST_MAX_NODES = 10_000_000;
/** scikit-learn's offset under `contamination: 'auto'` (the score of a point at the average depth). */
export const IFOREST_AUTO_OFFSET = -0.5;
/**
 * A column whose values in a node span at most this much is constant there and is not split on
 * (scikit-learn's `FEATURE_THRESHOLD` in its tree splitter, an absolute 1e-7).
 */
export const IFOREST_FEATURE_THRESHOLD = 1e-7;
/** Version of {@link IsolationForestJson}. */
export const ISOLATION_FOREST_SCHEMA_VERSION = 1;

/** Options of {@link IsolationForest.fit}; the names are scikit-learn's, in camelCase. */
export interface IsolationForestOptions {
  /** Number of trees (default {@link DEFAULT_IFOREST_TREES}). */
  readonly nEstimators?: number;
  /**
   * Rows per tree: `'auto'` (default) = min(256, rows); an integer >= 1 is a count (capped at
   * the row count, as scikit-learn does after a warning); a number in (0, 1) is a fraction of
   * the rows, floor(fraction x rows) as scikit-learn. (Pass the row count for "all rows".)
   */
  readonly maxSamples?: 'auto' | number;
  /** Fraction of the columns each tree sees, in (0, 1] (default 1): max(1, floor(fraction x columns)). */
  readonly maxFeatures?: number;
  /** Draw each tree's rows with replacement (default false). */
  readonly bootstrap?: boolean;
  /**
   * `'auto'` (default): offset -0.5; a number in (0, 0.5]: the offset is that percentile of
   * the reference's own scores, so that share of the reference is flagged.
   */
  readonly contamination?: 'auto' | number;
  /** Seed of the row, column, split-column and threshold draws (default 0). */
  readonly seed?: number;
  /** Refuse forests that could need more nodes (default {@link DEFAULT_IFOREST_MAX_NODES}). */
  readonly maxNodes?: number;
}

/** The scalar part of a saved forest (the trees travel as {@link IsolationForestState.arrays}). */
export interface IsolationForestJson {
  readonly schemaVersion: number;
  readonly columns: number;
  readonly nEstimators: number;
  /** The resolved subsample size (scikit-learn's `max_samples_`). */
  readonly maxSamples: number;
  readonly maxDepth: number;
  readonly maxFeatures: number;
  readonly bootstrap: boolean;
  readonly contamination: 'auto' | number;
  readonly seed: number;
  /** scikit-learn's `offset_`. */
  readonly offset: number;
}

/**
 * A fitted forest as plain data: JSON plus typed arrays (libs/detect's `FittedState` holds the
 * same two parts). Node `k`'s children are `left[k]` and `left[k] + 1`; a leaf has
 * `feature[k] = -1` and `threshold[k]` = its depth + c(leaf size).
 */
export interface IsolationForestState {
  readonly json: IsolationForestJson;
  readonly arrays: {
    /** First node of each tree. */
    readonly roots: Float64Array;
    readonly feature: Float64Array;
    readonly threshold: Float64Array;
    readonly left: Float64Array;
  };
}

/**
 * scikit-learn's `IsolationForest` (Liu, Ting and Zhou 2008): `nEstimators` extremely
 * randomised trees, each grown on `maxSamples` rows drawn without replacement (with, under
 * `bootstrap`) from a random `maxFeatures` share of the columns, to depth
 * ceil(log2(max(maxSamples, 2))). A node splits on a column drawn uniformly among those not
 * constant in it, at a threshold uniform in [min, max) of that column there (x <= threshold
 * goes left); it is a leaf at the depth limit, with one row, or when every column is constant.
 *
 * Scores follow scikit-learn: a point's path length in a tree is the depth of its leaf plus
 * c(rows in that leaf) ({@link averagePathLength}); `scoreSamples` = -2^(-E[h(x)] / c(maxSamples)),
 * in [-1, 0), lower is more abnormal; `decisionFunction` = scoreSamples - offset, negative for
 * outliers. The random draws are this library's seeded generator, not numpy's, so a seed gives
 * different trees than scikit-learn's `random_state`; the fidelity tests compare ROC AUC over
 * seeds. Values are compared in float64 (scikit-learn casts to float32 first).
 */
export class IsolationForest {
  private constructor(
    private readonly meta: IsolationForestJson,
    private readonly roots: Int32Array,
    private readonly feature: Int32Array,
    private readonly threshold: Float64Array,
    private readonly left: Int32Array,
  ) {}

  /** Number of columns of the reference. */
  get columns(): number {
    return this.meta.columns;
  }

  /** scikit-learn's `offset_`: -0.5 under contamination 'auto', else a percentile of the reference's scores. */
  get offset(): number {
    return this.meta.offset;
  }

  /** The resolved parameters (subsample size, depth limit, seed ...) and the offset. */
  get parameters(): IsolationForestJson {
    return this.meta;
  }

  /** Total nodes over all trees. */
  get nodeCount(): number {
    return this.feature.length;
  }

  /**
   * Grows the forest on a reference (rows x features, finite).
   * @throws InvalidArgumentError for NaN/Inf (naming row and column), no rows or columns, or an option outside its range.
   * @throws ResourceExhaustedError when the forest could exceed `maxNodes`.
   */
  static fit(reference: DenseMatrix, options: IsolationForestOptions = {}): IsolationForest {
    const growth = IsolationForest.grow(reference, options);
    growth.growTrees(growth.totalTrees);
    return growth.finish();
  }

  /**
   * The same fit as {@link fit} (the same forest for the same options and seed), grown a few
   * trees at a time so a caller can yield between slices (a service's event loop keeps
   * answering while a large forest grows).
   * @throws as {@link fit}, before any tree is grown.
   */
  static grow(reference: DenseMatrix, options: IsolationForestOptions = {}): ForestGrowth {
    const { rows: n, cols: d } = reference;
    if (n < 1) throw new InvalidArgumentError('reference: at least one row is required');
    if (d < 1) throw new InvalidArgumentError('reference: at least one column is required');
    assertFiniteMatrix(reference, 'reference');
    const nEstimators = options.nEstimators ?? DEFAULT_IFOREST_TREES;
    if (!Number.isInteger(nEstimators) || nEstimators < 1 || nEstimators > MAX_IFOREST_TREES) {
      throw new InvalidArgumentError(
        `nEstimators: expected an integer in [1, ${MAX_IFOREST_TREES}], got ${nEstimators}`,
      );
    }
    const maxSamples = resolveMaxSamples(options.maxSamples ?? 'auto', n);
    const maxFeatures = options.maxFeatures ?? 1;
    if (!(maxFeatures > 0 && maxFeatures <= 1)) {
      throw new InvalidArgumentError(`maxFeatures: expected a fraction in (0, 1], got ${maxFeatures}`);
    }
    const contamination = options.contamination ?? 'auto';
    if (contamination !== 'auto' && !(contamination > 0 && contamination <= 0.5)) {
      throw new InvalidArgumentError(
        `contamination: expected 'auto' or a number in (0, 0.5], got ${contamination}`,
      );
    }
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw new InvalidArgumentError(`seed: expected an integer, got ${seed}`);
    const bootstrap = options.bootstrap ?? false;
    const maxDepth = Math.ceil(Math.log2(Math.max(maxSamples, 2)));
    const maxNodes = options.maxNodes ?? DEFAULT_IFOREST_MAX_NODES;
    if (nEstimators * (2 * maxSamples - 1) > maxNodes) {
      throw new ResourceExhaustedError(
        `isolation forest: ${nEstimators} trees of up to ${2 * maxSamples - 1} nodes (maxSamples ${maxSamples}) exceed maxNodes ${maxNodes}; lower maxSamples or nEstimators`,
      );
    }
    const meta: IsolationForestJson = {
      schemaVersion: ISOLATION_FOREST_SCHEMA_VERSION,
      columns: d,
      nEstimators,
      maxSamples,
      maxDepth,
      maxFeatures,
      bootstrap,
      contamination,
      seed,
      offset: IFOREST_AUTO_OFFSET,
    };
    return new ForestGrowth(reference, meta, (json, roots, feature, threshold, left) => {
      const forest = new IsolationForest(json, roots, feature, threshold, left);
      if (contamination === 'auto') return forest;
      const offset = percentile(forest.scoreSamples(reference), 100 * contamination);
      return new IsolationForest({ ...json, offset }, roots, feature, threshold, left);
    });
  }

  /**
   * scikit-learn's `score_samples`: -2^(-mean path length / c(maxSamples)) per row, in [-1, 0);
   * the lower, the more abnormal (about -0.5 at the average depth, near -1 for isolated points).
   * @throws InvalidArgumentError for a wrong column count or NaN/Inf.
   */
  scoreSamples(batch: DenseMatrix): Float64Array {
    this.checkBatch(batch);
    const { rows, cols: d, data } = batch;
    const depths = new Float64Array(rows);
    const { roots, feature, threshold, left } = this;
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t]!;
      for (let i = 0, base = 0; i < rows; i++, base += d) {
        let node = root;
        let f = feature[node]!;
        while (f >= 0) {
          node = left[node]! + (data[base + f]! <= threshold[node]! ? 0 : 1);
          f = feature[node]!;
        }
        depths[i]! += threshold[node]!;
      }
    }
    const denominator = roots.length * averagePathLength(this.meta.maxSamples);
    const scores = new Float64Array(rows);
    // scikit-learn divides only where the denominator is non-zero and takes 1 elsewhere (one row per tree).
    for (let i = 0; i < rows; i++) scores[i] = -(2 ** -(denominator !== 0 ? depths[i]! / denominator : 1));
    return scores;
  }

  /** scikit-learn's `decision_function`: scoreSamples - offset; negative marks an outlier. */
  decisionFunction(batch: DenseMatrix): Float64Array {
    const scores = this.scoreSamples(batch);
    for (let i = 0; i < scores.length; i++) scores[i]! -= this.meta.offset;
    return scores;
  }

  /** scikit-learn's `predict` as booleans: true where decisionFunction < 0 (an outlier). */
  predict(batch: DenseMatrix): boolean[] {
    return Array.from(this.decisionFunction(batch), (v) => v < 0);
  }

  /** JSON and typed arrays (no copies: do not modify them). */
  toState(): IsolationForestState {
    return {
      json: this.meta,
      arrays: {
        roots: Float64Array.from(this.roots),
        feature: Float64Array.from(this.feature),
        threshold: this.threshold,
        left: Float64Array.from(this.left),
      },
    };
  }

  /**
   * Restores a forest saved by {@link toState}, checking it can be walked: every split column
   * exists and every child lies after its parent (so a corrupt save cannot loop).
   * @throws InvalidArgumentError naming the first inconsistency.
   */
  static fromState(state: IsolationForestState): IsolationForest {
    const { json, arrays } = state;
    if (json.schemaVersion !== ISOLATION_FOREST_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `isolation forest: schemaVersion ${json.schemaVersion} is not supported (expected ${ISOLATION_FOREST_SCHEMA_VERSION})`,
      );
    }
    const nodes = arrays.feature.length;
    if (arrays.threshold.length !== nodes || arrays.left.length !== nodes) {
      throw new InvalidArgumentError(
        `isolation forest: feature, threshold and left must have equal lengths, got ${nodes}, ${arrays.threshold.length}, ${arrays.left.length}`,
      );
    }
    if (arrays.roots.length !== json.nEstimators) {
      throw new InvalidArgumentError(
        `isolation forest: ${arrays.roots.length} roots for nEstimators ${json.nEstimators}`,
      );
    }
    if (
      !(
        Number.isInteger(json.columns) &&
        json.columns >= 1 &&
        Number.isInteger(json.maxSamples) &&
        json.maxSamples >= 1
      )
    ) {
      throw new InvalidArgumentError('isolation forest: columns and maxSamples must be positive integers');
    }
    if (!Number.isFinite(json.offset))
      throw new InvalidArgumentError('isolation forest: offset is not finite');
    for (let t = 0; t < arrays.roots.length; t++) {
      const r = arrays.roots[t]!;
      if (!(Number.isInteger(r) && r >= 0 && r < nodes)) {
        throw new InvalidArgumentError(`isolation forest: root of tree ${t} (${r}) is not a node`);
      }
    }
    for (let k = 0; k < nodes; k++) {
      const f = arrays.feature[k]!;
      const isLeaf = f === -1;
      if (!isLeaf && !(Number.isInteger(f) && f >= 0 && f < json.columns)) {
        throw new InvalidArgumentError(
          `isolation forest: node ${k} splits on column ${f}, not in [0, ${json.columns})`,
        );
      }
      if (!Number.isFinite(arrays.threshold[k]!)) {
        throw new InvalidArgumentError(`isolation forest: node ${k} has a non-finite threshold`);
      }
      const l = arrays.left[k]!;
      if (!isLeaf && !(Number.isInteger(l) && l > k && l + 1 < nodes)) {
        throw new InvalidArgumentError(`isolation forest: node ${k}'s children (${l}) do not follow it`);
      }
    }
    return new IsolationForest(
      json,
      Int32Array.from(arrays.roots),
      Int32Array.from(arrays.feature),
      Float64Array.from(arrays.threshold),
      Int32Array.from(arrays.left),
    );
  }

  private checkBatch(batch: DenseMatrix): void {
    if (batch.cols !== this.meta.columns) {
      throw new InvalidArgumentError(
        `batch: expected ${this.meta.columns} columns as the reference, got ${batch.cols}`,
      );
    }
    assertFiniteMatrix(batch, 'batch');
  }
}

function resolveMaxSamples(option: 'auto' | number, rows: number): number {
  if (option === 'auto') return Math.min(IFOREST_AUTO_MAX_SAMPLES, rows);
  if (Number.isInteger(option) && option >= 1) return Math.min(option, rows);
  if (option > 0 && option < 1) {
    const count = Math.floor(option * rows);
    if (count >= 1) return count;
    throw new InvalidArgumentError(
      `maxSamples: a fraction ${option} of ${rows} rows leaves no row; use a larger fraction or a count`,
    );
  }
  throw new InvalidArgumentError(
    `maxSamples: expected 'auto', an integer >= 1 or a fraction in (0, 1), got ${option}`,
  );
}

type ForestMaker = (
  meta: IsolationForestJson,
  roots: Int32Array,
  feature: Int32Array,
  threshold: Float64Array,
  left: Int32Array,
) => IsolationForest;

/**
 * An isolation forest being grown ({@link IsolationForest.grow}): trees are drawn in the
 * order of the synchronous fit from one random stream, so growing them in slices gives
 * exactly the forest {@link IsolationForest.fit} gives.
 */
export class ForestGrowth {
  private readonly builder: ForestBuilder;
  private readonly random: SeededRandom;
  private readonly rowPool: Int32Array;
  private readonly columnPool: Int32Array;
  private readonly featureCount: number;
  private readonly roots: Int32Array;
  private grown = 0;

  /** @internal Made by {@link IsolationForest.grow}. */
  constructor(
    private readonly reference: DenseMatrix,
    private readonly meta: IsolationForestJson,
    private readonly make: ForestMaker,
  ) {
    const { rows: n, cols: d } = reference;
    this.featureCount = Math.max(1, Math.floor(meta.maxFeatures * d));
    this.builder = new ForestBuilder(
      reference,
      meta.maxSamples,
      meta.maxDepth,
      this.featureCount,
      meta.nEstimators,
    );
    this.random = seededRandom(meta.seed);
    this.rowPool = Int32Array.from({ length: n }, (_, i) => i);
    this.columnPool = Int32Array.from({ length: d }, (_, j) => j);
    this.roots = new Int32Array(meta.nEstimators);
  }

  /** Trees the forest will have. */
  get totalTrees(): number {
    return this.meta.nEstimators;
  }

  /** Trees grown so far. */
  get grownTrees(): number {
    return this.grown;
  }

  /** Whether every tree is grown. */
  get done(): boolean {
    return this.grown === this.meta.nEstimators;
  }

  /** Grows up to `count` more trees; returns how many it grew. */
  growTrees(count: number): number {
    const { rows: n, cols: d } = this.reference;
    const { maxSamples, bootstrap } = this.meta;
    const end = Math.min(this.meta.nEstimators, this.grown + Math.max(0, Math.floor(count)));
    const before = this.grown;
    for (; this.grown < end; this.grown++) {
      const sample = new Int32Array(maxSamples);
      if (bootstrap) {
        for (let i = 0; i < maxSamples; i++) sample[i] = this.random.nextInt(n);
      } else {
        // A partial shuffle of the already shuffled pool is again a uniform subset.
        this.random.shuffle(this.rowPool, maxSamples);
        sample.set(this.rowPool.subarray(0, maxSamples));
      }
      let treeColumns = this.columnPool;
      if (this.featureCount < d) {
        this.random.shuffle(this.columnPool, this.featureCount);
        treeColumns = this.columnPool.slice(0, this.featureCount);
      }
      this.roots[this.grown] = this.builder.growTree(sample, treeColumns, this.random);
    }
    return this.grown - before;
  }

  /**
   * The grown forest (scoring the reference for a contamination offset).
   * @throws InvalidArgumentError when trees are still to grow.
   */
  finish(): IsolationForest {
    if (!this.done) {
      throw new InvalidArgumentError(
        `isolation forest: ${this.grown} of ${this.meta.nEstimators} trees grown; grow the rest first`,
      );
    }
    const { builder } = this;
    return this.make(
      this.meta,
      this.roots,
      builder.feature.slice(0, builder.size),
      builder.threshold.slice(0, builder.size),
      builder.left.slice(0, builder.size),
    );
  }
}

/** Grows trees into shared flat arrays (children of a node stored next to each other). */
class ForestBuilder {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  size = 0;
  private readonly values: Float64Array;

  constructor(
    private readonly reference: DenseMatrix,
    maxSamples: number,
    private readonly maxDepth: number,
    featureCount: number,
    trees: number,
  ) {
    const capacity = trees * (2 * maxSamples - 1);
    this.feature = new Int32Array(capacity);
    this.threshold = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.values = new Float64Array(maxSamples);
    this.candidates = new Int32Array(featureCount);
  }

  private readonly candidates: Int32Array;

  /** Grows one tree over `sample` (row indices, reordered in place) and returns its root. */
  growTree(sample: Int32Array, columns: Int32Array, random: SeededRandom): number {
    const root = this.size++;
    // Depth-first with an explicit stack of (node, start, end, depth).
    const stack: number[] = [root, 0, sample.length, 0];
    const { data, cols: d } = this.reference;
    const values = this.values;
    const candidates = this.candidates;
    while (stack.length > 0) {
      const depth = stack.pop()!;
      const end = stack.pop()!;
      const start = stack.pop()!;
      const node = stack.pop()!;
      const count = end - start;
      let split = -1;
      let min = 0;
      let max = 0;
      if (depth < this.maxDepth && count >= 2) {
        // Draw columns without replacement until one is not constant here (scikit-learn's
        // random splitter with max_features=1 keeps drawing past constant columns).
        candidates.set(columns);
        for (let left = candidates.length; left > 0 && split < 0; left--) {
          const pick = random.nextInt(left);
          const column = candidates[pick]!;
          candidates[pick] = candidates[left - 1]!;
          min = Number.POSITIVE_INFINITY;
          max = Number.NEGATIVE_INFINITY;
          for (let i = start; i < end; i++) {
            const v = data[sample[i]! * d + column]!;
            values[i - start] = v;
            if (v < min) min = v;
            if (v > max) max = v;
          }
          if (max > min + IFOREST_FEATURE_THRESHOLD) split = column;
        }
      }
      if (split < 0) {
        this.feature[node] = -1;
        this.threshold[node] = depth + averagePathLength(count);
        continue;
      }
      // scikit-learn's rand_uniform(min, max) form, with a draw equal to max moved to min.
      let threshold = (max - min) * random.nextFloat() + min;
      if (threshold === max) threshold = min;
      // Partition sample[start, end) so rows with value <= threshold come first.
      let lo = start;
      let hi = end - 1;
      while (lo <= hi) {
        if (values[lo - start]! <= threshold) lo++;
        else {
          const row = sample[lo]!;
          sample[lo] = sample[hi]!;
          sample[hi] = row;
          const v = values[lo - start]!;
          values[lo - start] = values[hi - start]!;
          values[hi - start] = v;
          hi--;
        }
      }
      const child = this.size;
      this.size += 2;
      this.feature[node] = split;
      this.threshold[node] = threshold;
      this.left[node] = child;
      stack.push(child + 1, lo, end, depth + 1, child, start, lo, depth + 1);
    }
    return root;
  }
}
