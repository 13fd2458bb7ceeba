/**
 * Running mean and covariance of a fitted mahalanobis state, for the service's updates from
 * Predict and the live stream: the rows it is given (the inliers: an outlier that widened the
 * covariance would hide the next ones) are merged into the saved statistics, exactly (Chan,
 * Golub and LeVeque's pairwise update, so update-then-update equals a fit on all the rows), or
 * with `maxN` set, as Alibi Detect's `max_n`: the statistics so far weigh as `maxN` rows at
 * most, so old rows decay and the newest ones keep moving the estimate.
 */
import { FailedPreconditionError, quoteName } from '@sightline/errors';
import type { FittedState } from '../kinds/detector-kind.js';
import { type FeatureTable, requireSchema } from '../table/feature-table.js';
import {
  MAHALANOBIS_KIND,
  type MahalanobisParams,
  modelParts,
  modelStateOf,
  runningRowsOf,
} from './mahalanobis-state.js';
import { numericMatrix } from './outlier-input.js';
import { type MahalanobisState, type OutlierKernels, STATS_OUTLIER_KERNELS } from './outlier-kernels.js';

/** The contract's rule a robust state's update breaks. */
export const ROBUST_NO_UPDATES_RULE = 'mahalanobis.robust_no_updates';

/** Says which rows of a batch join the running statistics (by row index). */
export type KeepRow = (row: number) => boolean;

/**
 * `state` with the rows of `table` that `keepRow` keeps (default: all) merged into its mean
 * and covariance, as a new state (`state` is unchanged; it is returned as it is when no row is
 * kept). With `maxN` 0 the result equals a fit on the reference and every kept row so far, to
 * rounding; with `maxN` > 0 the statistics before the batch count as min(rows seen, maxN)
 * rows, and after it as min(that + kept rows, maxN), the covariance kept as it is.
 * @throws FailedPreconditionError for a robust (MCD) state (rule
 *   {@link ROBUST_NO_UPDATES_RULE}); InvalidArgumentError for another kind's state, other
 *   columns than the fitted ones or a non-finite cell (naming column and row).
 */
export function updateRunning(
  state: FittedState,
  table: FeatureTable,
  keepRow?: KeepRow,
  kernels: OutlierKernels = STATS_OUTLIER_KERNELS,
): FittedState {
  const model = modelStateOf(state);
  const params = state.params as unknown as Partial<MahalanobisParams>;
  if (params.robust === true || model.json.robust === true) {
    throw new FailedPreconditionError(
      `kind ${quoteName(MAHALANOBIS_KIND)}: a robust (MCD) fit cannot be updated (rule "${ROBUST_NO_UPDATES_RULE}"): its support is chosen over all the rows at once; refit it on the rows, or fit with robust false to update`,
      { field: 'params.robust' },
    );
  }
  requireSchema(table, state.schema);
  const all = numericMatrix(MAHALANOBIS_KIND, table);
  const d = all.cols;
  let kept = all;
  if (keepRow !== undefined) {
    const data = new Float64Array(all.data.length);
    let rows = 0;
    for (let i = 0; i < all.rows; i++) {
      if (!keepRow(i)) continue;
      data.set(all.data.subarray(i * d, (i + 1) * d), rows * d);
      rows++;
    }
    kept = { rows, cols: d, data: data.subarray(0, rows * d) };
  }
  if (kept.rows === 0) return state;
  const maxN = params.maxN ?? 0;
  const before = maxN > 0 ? decayed(model, maxN) : model;
  const merged = kernels.Mahalanobis.fromState(before).update(kept).toState();
  const after = maxN > 0 ? decayed(merged, maxN) : merged;
  const parts = modelParts(after, runningRowsOf(state) + kept.rows);
  return {
    ...state,
    json: { ...state.json, ...parts.json },
    arrays: { ...state.arrays, ...parts.arrays },
  };
}

/**
 * Rows in the running statistics of a state: for mahalanobis the reference's plus every kept
 * update row (not capped by `maxN`: it counts rows seen); 0 for the other kinds, which have none.
 */
export function runningRows(state: FittedState): number {
  return state.kind === MAHALANOBIS_KIND ? runningRowsOf(state) : 0;
}

/**
 * The statistics counted as at most `maxN` rows: the same mean and ddof = 1 covariance, the
 * co-moment scaled to (maxN - 1) of it.
 */
function decayed(model: MahalanobisState, maxN: number): MahalanobisState {
  const count = model.json.count;
  if (count <= maxN) return model;
  const share = (maxN - 1) / (count - 1);
  return {
    json: { ...model.json, count: maxN },
    arrays: { ...model.arrays, comoment: model.arrays.comoment.map((v) => v * share) },
  };
}
