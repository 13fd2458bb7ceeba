import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { assertFiniteMatrix, type DenseMatrix } from '../matrix.js';

/** Share of the standardised reference's variance the kept components explain (NannyML's 0.95). */
export const DEFAULT_PCA_VARIANCE_EXPLAINED = 0.95;
/** Reference chunks the alert thresholds are learned from (NannyML's default chunker makes 10). */
export const DEFAULT_PCA_REFERENCE_CHUNKS = 10;
/** Thresholds are the reference chunks' mean error ± this many standard deviations (NannyML's 3). */
export const DEFAULT_PCA_THRESHOLD_SIGMAS = 3;
/**
 * Largest reference fitted by default: the SVD holds a copy of the standardised reference
 * (about 8 bytes x rows x columns plus per-row overhead). Subsample larger references or
 * raise the limit.
 */
export const DEFAULT_PCA_MAX_REFERENCE_ROWS = 250_000;
/** Version of {@link PcaReconstructionJson}. */
export const PCA_RECONSTRUCTION_SCHEMA_VERSION = 1;

/** Options of {@link PcaReconstruction.fit}. */
export interface PcaReconstructionOptions {
  /** In (0, 1]: keep the fewest components whose explained-variance ratio sum exceeds it (sklearn's rule). */
  readonly varianceExplained?: number;
  /** Consecutive equal chunks of the reference whose errors set the thresholds. */
  readonly referenceChunks?: number;
  /** Width of the threshold band in standard deviations of the chunk errors. */
  readonly thresholdSigmas?: number;
  /** Refuse larger references (default {@link DEFAULT_PCA_MAX_REFERENCE_ROWS}). */
  readonly maxReferenceRows?: number;
}

/** Serialised {@link PcaReconstruction}. */
export interface PcaReconstructionJson {
  readonly schemaVersion: number;
  readonly columns: number;
  /** Reference column means and scales (population standard deviation; 1 where it is 0). */
  readonly mean: readonly number[];
  readonly scale: readonly number[];
  /** Mean of the standardised reference (PCA's centring). */
  readonly pcaMean: readonly number[];
  /** Kept components, row-major components x columns. */
  readonly components: readonly number[];
  readonly varianceExplained: number;
  readonly lowerThreshold: number;
  readonly upperThreshold: number;
}

/** One batch's reconstruction error and whether it falls outside the learned band. */
export interface PcaReconstructionScore {
  readonly error: number;
  readonly lowerThreshold: number;
  readonly upperThreshold: number;
  readonly alert: boolean;
}

/**
 * Multivariate drift by data reconstruction, as NannyML's DataReconstructionDriftCalculator:
 * standardise with the reference's mean and population standard deviation (sklearn's
 * StandardScaler), fit PCA on the standardised reference keeping the components that explain
 * `varianceExplained` of its variance (sklearn's PCA(n_components=0.95)), and score a batch by
 * the mean over rows of the Euclidean distance between a standardised row and its
 * reconstruction from the kept components. Thresholds: the errors of `referenceChunks`
 * consecutive reference chunks, mean ± `thresholdSigmas` population standard deviations
 * (NannyML's StandardDeviationThreshold), the lower one clipped at 0.
 */
export class PcaReconstruction {
  private constructor(
    private readonly mean: Float64Array,
    private readonly scale: Float64Array,
    private readonly pcaMean: Float64Array,
    /** k x d, row-major. */
    private readonly components: Float64Array,
    /** The variance share asked for. */
    readonly varianceExplained: number,
    /** Lower end of the band learned from the reference chunks (>= 0). */
    readonly lowerThreshold: number,
    /** Upper end of the band learned from the reference chunks. */
    readonly upperThreshold: number,
  ) {}

  /** Number of kept components. */
  get componentCount(): number {
    return this.components.length / this.mean.length;
  }

  /**
   * Fits on a reference (rows x features, numeric, finite).
   * @throws InvalidArgumentError for NaN/Inf (naming row and column), fewer than 2 rows per chunk or a bad option.
   * @throws ResourceExhaustedError above `maxReferenceRows`.
   */
  static fit(reference: DenseMatrix, options: PcaReconstructionOptions = {}): PcaReconstruction {
    const varianceExplained = options.varianceExplained ?? DEFAULT_PCA_VARIANCE_EXPLAINED;
    const chunks = options.referenceChunks ?? DEFAULT_PCA_REFERENCE_CHUNKS;
    const sigmas = options.thresholdSigmas ?? DEFAULT_PCA_THRESHOLD_SIGMAS;
    if (!(varianceExplained > 0 && varianceExplained <= 1)) {
      throw new InvalidArgumentError(
        `varianceExplained: expected a number in (0, 1], got ${varianceExplained}`,
      );
    }
    if (!Number.isInteger(chunks) || chunks < 1) {
      throw new InvalidArgumentError(`referenceChunks: expected a positive integer, got ${chunks}`);
    }
    if (!(sigmas >= 0))
      throw new InvalidArgumentError(`thresholdSigmas: expected a number >= 0, got ${sigmas}`);
    if (reference.cols < 1) throw new InvalidArgumentError('reference: at least one column is required');
    if (reference.rows < 2 * chunks) {
      throw new InvalidArgumentError(
        `reference: at least ${2 * chunks} rows are required (2 per reference chunk), got ${reference.rows}`,
      );
    }
    const maxRows = options.maxReferenceRows ?? DEFAULT_PCA_MAX_REFERENCE_ROWS;
    if (reference.rows > maxRows) {
      throw new ResourceExhaustedError(
        `reference: ${reference.rows} rows exceed maxReferenceRows ${maxRows}; subsample or raise the limit`,
      );
    }
    assertFiniteMatrix(reference, 'reference');
    const { rows: n, cols: d, data } = reference;
    const mean = new Float64Array(d);
    const scale = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c]! += data[i * d + c]!;
    for (let c = 0; c < d; c++) mean[c]! /= n;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < d; c++) {
        const e = data[i * d + c]! - mean[c]!;
        scale[c]! += e * e;
      }
    }
    // sklearn's StandardScaler: population std, and 1 for a constant column so it does not divide by 0.
    for (let c = 0; c < d; c++) scale[c] = Math.sqrt(scale[c]! / n) || 1;

    const standardised = standardise(reference, mean, scale);
    const pcaMean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) pcaMean[c]! += standardised[i * d + c]!;
    for (let c = 0; c < d; c++) pcaMean[c]! /= n;
    const centred = Matrix.zeros(n, d);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < d; c++) centred.set(i, c, standardised[i * d + c]! - pcaMean[c]!);
    const svd = new SingularValueDecomposition(centred, {
      computeLeftSingularVectors: false,
      autoTranspose: true,
    });
    const singular = svd.diagonal;
    const v = svd.rightSingularVectors;
    const order = singular.map((_, k) => k).sort((a, b) => singular[b]! - singular[a]!);
    const total = singular.reduce((s, x) => s + x * x, 0);
    // sklearn: n_components = searchsorted(cumsum(ratio), share, side='right') + 1, capped.
    let kept = 0;
    let cumulative = 0;
    while (kept < order.length) {
      cumulative += singular[order[kept]!]! ** 2 / total;
      kept++;
      if (cumulative > varianceExplained) break;
    }
    // Every component kept reconstructs every row exactly: the error is rounding noise
    // around 0 and its threshold too, so any batch would "drift" by chance.
    if (kept >= d) {
      throw new InvalidArgumentError(
        `varianceExplained: keeping ${varianceExplained} of the variance needs all ${d} components of the ${d} columns, ` +
          'which leaves nothing to reconstruct (the error is always 0); lower varianceExplained, or test so few ' +
          'features with a per-feature or kernel test',
      );
    }
    const components = new Float64Array(kept * d);
    for (let k = 0; k < kept; k++) for (let c = 0; c < d; c++) components[k * d + c] = v.get(c, order[k]!);

    const partial = new PcaReconstruction(mean, scale, pcaMean, components, varianceExplained, 0, 0);
    const chunkErrors: number[] = [];
    for (let chunk = 0; chunk < chunks; chunk++) {
      const from = Math.floor((chunk * n) / chunks);
      const to = Math.floor(((chunk + 1) * n) / chunks);
      chunkErrors.push(partial.error({ rows: to - from, cols: d, data: data.subarray(from * d, to * d) }));
    }
    const chunkMean = chunkErrors.reduce((s, x) => s + x, 0) / chunks;
    const chunkStd = Math.sqrt(chunkErrors.reduce((s, x) => s + (x - chunkMean) ** 2, 0) / chunks);
    return new PcaReconstruction(
      mean,
      scale,
      pcaMean,
      components,
      varianceExplained,
      Math.max(chunkMean - sigmas * chunkStd, 0),
      chunkMean + sigmas * chunkStd,
    );
  }

  /**
   * Mean Euclidean reconstruction error of the batch's rows, in standardised units.
   * @throws InvalidArgumentError for a wrong column count, an empty batch or NaN/Inf.
   */
  error(batch: DenseMatrix): number {
    const d = this.mean.length;
    if (batch.cols !== d)
      throw new InvalidArgumentError(`batch: expected ${d} columns as the reference, got ${batch.cols}`);
    if (batch.rows === 0) throw new InvalidArgumentError('batch: at least one row is required');
    assertFiniteMatrix(batch, 'batch');
    const z = standardise(batch, this.mean, this.scale);
    const k = this.componentCount;
    const centred = new Float64Array(d);
    const projected = new Float64Array(k);
    let total = 0;
    for (let i = 0; i < batch.rows; i++) {
      for (let c = 0; c < d; c++) centred[c] = z[i * d + c]! - this.pcaMean[c]!;
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += centred[c]! * this.components[j * d + c]!;
        projected[j] = s;
      }
      let squared = 0;
      for (let c = 0; c < d; c++) {
        let reconstructed = 0;
        for (let j = 0; j < k; j++) reconstructed += projected[j]! * this.components[j * d + c]!;
        const e = centred[c]! - reconstructed;
        squared += e * e;
      }
      total += Math.sqrt(squared);
    }
    return total / batch.rows;
  }

  /** {@link error} with the learned band: alert when the error leaves [lower, upper]. */
  score(batch: DenseMatrix): PcaReconstructionScore {
    const error = this.error(batch);
    return {
      error,
      lowerThreshold: this.lowerThreshold,
      upperThreshold: this.upperThreshold,
      alert: error < this.lowerThreshold || error > this.upperThreshold,
    };
  }

  /** Versioned JSON form. */
  toJSON(): PcaReconstructionJson {
    return {
      schemaVersion: PCA_RECONSTRUCTION_SCHEMA_VERSION,
      columns: this.mean.length,
      mean: Array.from(this.mean),
      scale: Array.from(this.scale),
      pcaMean: Array.from(this.pcaMean),
      components: Array.from(this.components),
      varianceExplained: this.varianceExplained,
      lowerThreshold: this.lowerThreshold,
      upperThreshold: this.upperThreshold,
    };
  }

  /**
   * Restores a fit written by {@link toJSON}.
   * @throws InvalidArgumentError on another schema version or inconsistent lengths.
   */
  static fromJSON(json: PcaReconstructionJson): PcaReconstruction {
    if (json.schemaVersion !== PCA_RECONSTRUCTION_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `pca reconstruction: schemaVersion ${json.schemaVersion} is not supported (expected ${PCA_RECONSTRUCTION_SCHEMA_VERSION})`,
      );
    }
    const d = json.columns;
    if (
      json.mean.length !== d ||
      json.scale.length !== d ||
      json.pcaMean.length !== d ||
      json.components.length % d !== 0 ||
      json.components.length === 0
    ) {
      throw new InvalidArgumentError(`pca reconstruction: arrays do not match ${d} columns`);
    }
    return new PcaReconstruction(
      Float64Array.from(json.mean),
      Float64Array.from(json.scale),
      Float64Array.from(json.pcaMean),
      Float64Array.from(json.components),
      json.varianceExplained,
      json.lowerThreshold,
      json.upperThreshold,
    );
  }
}

function standardise(m: DenseMatrix, mean: Float64Array, scale: Float64Array): Float64Array {
  const d = m.cols;
  const out = new Float64Array(m.data.length);
  for (let t = 0; t < out.length; t++) out[t] = (m.data[t]! - mean[t % d]!) / scale[t % d]!;
  return out;
}
