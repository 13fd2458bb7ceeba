/**
 * The one contract of every detector kind (drift here, outlier kinds in the outlier
 * service): fit on a reference table into a serialisable state, score a table against that
 * state. As Alibi Detect's `fit`/`score`, but the fitted state is data (JSON plus typed
 * arrays), so the store can persist it without knowing the kind.
 */
import type { OnlineBudget } from '../kernels.js';
import type { FeatureTable, TableSchema } from '../table/feature-table.js';
import type { SummarisedTable } from './summarised-table.js';

/** A JSON value (what `JSON.stringify` keeps as it is). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * What a kind's `fit` produces and its `score` reads: the resolved parameters, the
 * reference's schema and row count, kind-specific JSON and float64 arrays (sorted reference
 * columns, the reference matrix ...). Persisted by the DetectorStore as detector.json plus
 * reference.bin.
 */
export interface FittedState {
  /** The kind's name, e.g. `ks`. */
  readonly kind: string;
  /** The parameters with every default written out (what a refit needs). */
  readonly params: JsonObject;
  readonly schema: TableSchema;
  readonly referenceRows: number;
  readonly json: JsonObject;
  readonly arrays: Readonly<Record<string, Float64Array>>;
  /**
   * Files saved as they are beside detector.json (the autoencoder's TF.js `model.json` and
   * weights), by file name (`[a-z0-9._-]`, not `detector.json` or `reference.bin`).
   */
  readonly files?: Readonly<Record<string, Uint8Array>>;
}

/** A long fit's progress (the autoencoder's epochs), as FitWithProgress streams it. */
export interface FitProgress {
  /** Epochs finished. */
  readonly epoch: number;
  /** Epochs asked for. */
  readonly epochs: number;
  /** The mean training loss over the last epoch. */
  readonly loss: number;
  readonly elapsedSeconds: number;
  /** The TF.js backend training it (`tfjs-node-gpu`, `tfjs-node`, `tfjs-wasm`, `tfjs-cpu`). */
  readonly backend: string;
}

/** How one fit is bounded (kinds with a long configuration: the online kinds' bootstrap). */
export interface KindFitOptions {
  /** Deadline and cancellation; when spent the fit throws and nothing is saved. */
  readonly budget?: OnlineBudget;
  /** Called as a long fit goes (kinds with `fitAsync`); never throws into the fit. */
  readonly onProgress?: (progress: FitProgress) => void;
}

/**
 * A detector kind: parameters checked once, fit on a reference, score a table.
 * `TResult` is the kind family's result (DriftResult for drift kinds).
 */
export interface DetectorKind<TResult> {
  readonly name: string;
  /** Fewest reference rows the kind fits on, with its default parameters. */
  readonly minReferenceRows: number;
  /**
   * Fits on `reference` (already checked to be non-empty).
   * @throws InvalidArgumentError for an unknown or out-of-range parameter, a reference
   *   smaller than the kind's minimum (stating it), or a cell the kind cannot use.
   */
  fit(
    reference: FeatureTable,
    params?: Readonly<Record<string, unknown>>,
    options?: KindFitOptions,
  ): FittedState;
  /**
   * Scores `table` against a state this kind fitted.
   * @throws InvalidArgumentError when `table` does not have the fitted columns, has too few
   *   rows for the test, or has a cell the kind cannot use (naming column and row).
   */
  score(state: FittedState, table: FeatureTable): TResult;
  /**
   * A fit that trains over many turns of the event loop (the autoencoder), yielding between
   * steps so the service keeps answering; used instead of `fit` where present (whose
   * synchronous form then throws). Bounded by `options.budget`.
   */
  fitAsync?(
    reference: FeatureTable,
    params?: Readonly<Record<string, unknown>>,
    options?: KindFitOptions,
  ): Promise<FittedState>;
  /**
   * Checks a loaded state with the rules the kind's fit applies to its parameters, and that
   * its json and arrays are consistent (the kernel object rebuilt from them), so a saved
   * version corrupted in valid JSON is refused at load rather than failing at a Score.
   * @throws InvalidArgumentError naming the parameter or part and the rule.
   */
  validate?(state: FittedState): void;
  /**
   * Prepares a loaded state for scoring when that needs asynchronous work (the autoencoder
   * builds its TF.js model from the saved files); the result is what `score` is given.
   */
  prepare?(state: FittedState): Promise<FittedState>;
  /**
   * Scores a window too large to hold as rows, from its summary; the result states the
   * approximation. Absent on kinds that cannot (a summarised window of theirs is refused).
   * @throws InvalidArgumentError when the kind's settings need the window's values (CVM).
   */
  scoreSummary?(state: FittedState, table: SummarisedTable): TResult;
}
