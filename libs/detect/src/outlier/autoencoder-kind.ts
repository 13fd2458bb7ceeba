/**
 * The autoencoder outlier kind (Alibi Detect's OutlierAE), trained with TensorFlow.js. Rows
 * are standardised with the reference's mean and standard deviation, a dense autoencoder
 * learns to reconstruct them (Adam on the mean squared error), and a row's outlier score is
 * its mean squared reconstruction error; each feature's score is its squared error.
 *
 * TF.js is imported only when an autoencoder is fitted or loaded (the drift service, which
 * shares this library, never loads it), on the best backend `@sightline/tfjs` finds.
 */

import type { Worker } from 'node:worker_threads';
import { FailedPreconditionError, InvalidArgumentError, quoteName } from '@sightline/errors';
import {
  detectGpu,
  selectTfjsBackend,
  type TfjsBackend,
  type TfjsBackendOptions,
  type TfjsDevice,
  type TfjsLogger,
} from '@sightline/tfjs';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import type { FittedState, KindFitOptions } from '../kinds/detector-kind.js';
import { drawSeed } from '../kinds/multivariate-kinds.js';
import { requireReferenceRows, requireScorable } from '../kinds/reference-profile.js';
import { type FeatureTable, requireFinite, schemaOf } from '../table/feature-table.js';
import { loadAutoencoder } from './autoencoder-model.js';
import { autoencoderParamsJson, readAutoencoderParams } from './autoencoder-params.js';
import { trainOffThread } from './autoencoder-trainer.js';
import type { OutlierKind, OutlierScores } from './outlier-scores.js';

/** The kind's name, as the contract's `config.autoencoder`. */
export const AUTOENCODER_KIND_NAME = 'autoencoder';
/** Fewest reference rows: a standard deviation needs two. */
export const AUTOENCODER_MIN_REFERENCE_ROWS = 2;
/** Rows sent through the model at once when scoring (bounds the tensors a large batch makes). */
export const AUTOENCODER_SCORE_BATCH_ROWS = 4096;
/**
 * Largest standardised value fed to the model. A value far outside the reference (1e200
 * where the reference spans 1) would overflow float32 to Infinity and its score to NaN;
 * clipped, it still scores as the extreme outlier it is.
 */
export const AUTOENCODER_MAX_STANDARDISED = 1e15;

/** What an autoencoder kind needs from its environment; every field has a real default. */
export interface AutoencoderKindOptions {
  /** Where TF.js should train and score (`auto` by default: the GPU where tfjs-node-gpu loads). */
  readonly device?: TfjsDevice;
  /** Told which backend was chosen and why better ones were not; silent by default. */
  readonly logger?: TfjsLogger;
  /** Whether the node has a GPU; defaults to `detectGpu()`. */
  readonly gpuDetected?: boolean;
  /** Loads the optional native TF.js packages by specifier; defaults to `import()`. */
  readonly importModule?: TfjsBackendOptions['importModule'];
  /** Draws the seed of a fit given none; `drawSeed` by default. */
  readonly seeds?: () => number;
  /**
   * Milliseconds since the epoch: the clock of progress times and the budget's messages
   * (the budget itself is a timer); `Date.now` by default.
   */
  readonly now?: () => number;
  /** Called with each training thread once started (tests check it always ends). */
  readonly onTrainingThread?: (thread: Worker) => void;
}

/** The reference's per-feature mean and standard deviation (1 for a constant feature). */
interface Standardisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

const silentLogger: TfjsLogger = { info() {}, warn() {} };

/**
 * Mean and population standard deviation (ddof 0, as scikit-learn's StandardScaler) of each
 * column. A constant column (min equals max) gets its value as mean and 1 as deviation, so
 * it standardises to 0 without dividing by a rounding residue.
 */
function standardisationOf(table: FeatureTable): Standardisation {
  const mean: number[] = [];
  const std: number[] = [];
  for (const column of table.columns) {
    let low = Infinity;
    let high = -Infinity;
    let sum = 0;
    for (const v of column) {
      low = Math.min(low, v);
      high = Math.max(high, v);
      sum += v;
    }
    if (low === high) {
      mean.push(low);
      std.push(1);
      continue;
    }
    const m = sum / column.length;
    let squares = 0;
    for (const v of column) squares += (v - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(squares / column.length) || 1);
  }
  return { mean, std };
}

/** Rows `start`..`end` of `table`, standardised and clipped, row-major, as float32. */
function standardisedRows(table: FeatureTable, s: Standardisation, start: number, end: number): Float32Array {
  const cols = table.columns.length;
  const out = new Float32Array((end - start) * cols);
  for (let c = 0; c < cols; c++) {
    const column = table.columns[c]!;
    const mean = s.mean[c]!;
    const std = s.std[c]!;
    for (let r = start; r < end; r++) {
      const z = (column[r]! - mean) / std;
      out[(r - start) * cols + c] = Math.max(
        -AUTOENCODER_MAX_STANDARDISED,
        Math.min(AUTOENCODER_MAX_STANDARDISED, z),
      );
    }
  }
  return out;
}

/** The standardisation a state saved, checked. */
function standardisationOfState(state: FittedState): Standardisation {
  const saved = state.json.standardisation as { mean?: unknown; std?: unknown } | undefined;
  const features = state.schema.names.length;
  const ok = (values: unknown, positive: boolean): values is number[] =>
    Array.isArray(values) &&
    values.length === features &&
    values.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0));
  if (!ok(saved?.mean, false) || !ok(saved?.std, true)) {
    throw new InvalidArgumentError(
      `the saved autoencoder is unreadable: its standardisation must hold ${features} finite means and ${features} positive deviations`,
    );
  }
  return { mean: saved.mean as number[], std: saved.std as number[] };
}

/** Refuses categorical columns: the autoencoder reconstructs numbers. */
function requireNumericColumns(table: FeatureTable): void {
  const c = table.kinds.indexOf('categorical');
  if (c >= 0) {
    throw new InvalidArgumentError(
      `kind "autoencoder" reconstructs numeric columns; column ${quoteName(table.names[c]!)} is categorical`,
      { field: `column ${quoteName(table.names[c]!)}` },
    );
  }
}

class AutoencoderKind implements OutlierKind {
  readonly name = AUTOENCODER_KIND_NAME;
  readonly minReferenceRows = AUTOENCODER_MIN_REFERENCE_ROWS;
  readonly #options: AutoencoderKindOptions;
  readonly #now: () => number;
  #gpu: boolean | undefined;
  /** TF.js has one backend per process: selected at the first fit or load, then shared. */
  #backend: Promise<TfjsBackend> | undefined;
  /** The selected backend, once known (score is synchronous). */
  #selected: TfjsBackend | undefined;
  /** Models ready to score, by the `files` object of the state they were built from. */
  readonly #ready = new WeakMap<object, LayersModel>();
  /** Loads under way, so two prepares of one state build one model. */
  readonly #loading = new WeakMap<object, Promise<LayersModel>>();
  /** Frees a model's tensors once the state it belongs to is gone. */
  readonly #release = new FinalizationRegistry<LayersModel>((model) => model.dispose());

  constructor(options: AutoencoderKindOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  fit(): FittedState {
    throw new FailedPreconditionError(
      'kind "autoencoder" trains on its own thread: call fitAsync (FittedDetectors.fit does)',
    );
  }

  async fitAsync(
    reference: FeatureTable,
    raw: Readonly<Record<string, unknown>> = {},
    options: KindFitOptions = {},
  ): Promise<FittedState> {
    const params = readAutoencoderParams(raw, reference.columns.length, this.#options.seeds ?? drawSeed);
    if (reference.columns.length === 0) {
      throw new InvalidArgumentError('kind "autoencoder" needs at least one column', { field: 'reference' });
    }
    requireNumericColumns(reference);
    requireReferenceRows(this.name, reference, this.minReferenceRows);
    requireFinite(reference);
    const standardisation = standardisationOf(reference);
    const rows = reference.rows;
    const cols = reference.columns.length;
    const { files, training } = await trainOffThread({
      x: standardisedRows(reference, standardisation, 0, rows),
      rows,
      features: cols,
      params,
      device: this.#options.device ?? 'auto',
      gpuDetected: this.gpuDetected(),
      logger: this.#options.logger ?? silentLogger,
      budget: options.budget,
      onProgress: options.onProgress,
      now: this.#now,
      onThread: this.#options.onTrainingThread,
    });
    const state: FittedState = {
      kind: this.name,
      params: autoencoderParamsJson(params),
      schema: schemaOf(reference),
      referenceRows: rows,
      json: {
        standardisation: { mean: [...standardisation.mean], std: [...standardisation.std] },
        training: { ...training },
      },
      arrays: {},
      files,
    };
    // Loaded here for scoring, as a fit always left its model ready (prepare is then a no-op).
    return this.prepare(state);
  }

  async prepare(state: FittedState): Promise<FittedState> {
    standardisationOfState(state);
    const files = state.files;
    if (files === undefined) {
      throw new InvalidArgumentError('the saved autoencoder is unreadable: it has no model files');
    }
    if (this.#ready.has(files)) return state;
    let loading = this.#loading.get(files);
    if (loading === undefined) {
      loading = this.backend().then(({ tf }) => loadAutoencoder(tf, files, state.schema.names.length));
      this.#loading.set(files, loading);
    }
    try {
      this.remember(files, await loading);
    } finally {
      this.#loading.delete(files);
    }
    return state;
  }

  score(state: FittedState, table: FeatureTable): OutlierScores {
    requireScorable(this.name, state, table, 1);
    requireFinite(table);
    const model = state.files === undefined ? undefined : this.#ready.get(state.files);
    const tf = this.#selected?.tf;
    if (model === undefined || tf === undefined) {
      throw new FailedPreconditionError(
        'the autoencoder is not loaded: call prepare(state) first (FittedDetectors does for every state it readies)',
      );
    }
    const standardisation = standardisationOfState(state);
    const cols = table.columns.length;
    const instanceScores = new Float64Array(table.rows);
    const featureScores = new Float64Array(table.rows * cols);
    for (let start = 0; start < table.rows; start += AUTOENCODER_SCORE_BATCH_ROWS) {
      const end = Math.min(table.rows, start + AUTOENCODER_SCORE_BATCH_ROWS);
      const input = standardisedRows(table, standardisation, start, end);
      const squared = tf.tidy(() => {
        const x = tf.tensor2d(input, [end - start, cols], 'float32');
        const reconstruction = model.predict(x) as Tensor;
        return reconstruction.sub(x).square().dataSync();
      });
      featureScores.set(squared, start * cols);
      for (let r = start; r < end; r++) {
        let sum = 0;
        for (let c = 0; c < cols; c++) sum += featureScores[r * cols + c]!;
        instanceScores[r] = sum / cols;
      }
    }
    return { instanceScores, featureScores };
  }

  /** The TF.js backend, selected once (a failed selection is retried by the next caller). */
  private backend(): Promise<TfjsBackend> {
    this.#backend ??= selectTfjsBackend({
      device: this.#options.device ?? 'auto',
      gpuDetected: this.gpuDetected(),
      logger: this.#options.logger ?? silentLogger,
      ...(this.#options.importModule ? { importModule: this.#options.importModule } : {}),
    }).then(
      (backend) => {
        this.#selected = backend;
        (this.#options.logger ?? silentLogger).info({ backend: backend.label }, 'TF.js backend selected');
        return backend;
      },
      (error: unknown) => {
        this.#backend = undefined;
        throw error;
      },
    );
    return this.#backend;
  }

  /** Whether the node has a GPU, probed once. */
  private gpuDetected(): boolean {
    this.#gpu ??= this.#options.gpuDetected ?? detectGpu();
    return this.#gpu;
  }

  private remember(files: object, model: LayersModel): void {
    if (this.#ready.get(files) === model) return;
    this.#ready.set(files, model);
    this.#release.register(files, model);
  }
}

/**
 * An autoencoder kind with its own backend selection and model cache; the outlier service
 * builds one in its composition root with its logger and device.
 */
export function createAutoencoderKind(options: AutoencoderKindOptions = {}): OutlierKind {
  return new AutoencoderKind(options);
}

/** The autoencoder kind with the defaults: `auto` device, silent backend selection. */
export const autoencoderKind: OutlierKind = createAutoencoderKind();
