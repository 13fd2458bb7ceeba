/**
 * How a mahalanobis FittedState holds libs/stats' Mahalanobis state: its JSON under
 * `json.model`, its arrays under `model.*`, and beside them the rows the running statistics
 * have seen. Shared by the kind and the running updates.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { FittedState, JsonObject, JsonValue } from '../kinds/detector-kind.js';
import { prefixArrays, unprefixArrays } from './outlier-input.js';
import type { MahalanobisJson, MahalanobisState } from './outlier-kernels.js';

/** The kind's name. */
export const MAHALANOBIS_KIND = 'mahalanobis';

const MODEL = 'model';
const MODEL_ARRAYS = ['mean', 'comoment', 'min', 'max'] as const;

/** The resolved parameters of a mahalanobis fit, as saved in the state's params. */
export interface MahalanobisParams {
  /** 0: exact running statistics; else they weigh as if at most this many rows were seen. */
  readonly maxN: number;
  readonly robust: boolean;
  /** MCD's support share; absent for scikit-learn's default. */
  readonly supportFraction?: number;
  /** Share of the reference's mean variance added to the covariance's diagonal. */
  readonly ridge: number;
  readonly seed: number;
}

/** The kernel's state held by a mahalanobis FittedState. */
export function modelStateOf(state: FittedState): MahalanobisState {
  if (state.kind !== MAHALANOBIS_KIND) {
    throw new InvalidArgumentError(
      `a state fitted by kind ${quoteName(state.kind)} is not a ${quoteName(MAHALANOBIS_KIND)} state`,
    );
  }
  const json = state.json[MODEL];
  if (json === undefined || json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InvalidArgumentError(`kind ${quoteName(MAHALANOBIS_KIND)}: the saved state has no model`);
  }
  return {
    json: json as unknown as MahalanobisJson,
    arrays: unprefixArrays(MAHALANOBIS_KIND, MODEL, state.arrays, MODEL_ARRAYS),
  };
}

/** The kind-specific json and arrays of a state holding `model` after `runningRows` rows. */
export function modelParts(
  model: MahalanobisState,
  runningRows: number,
): { json: JsonObject; arrays: Record<string, Float64Array> } {
  return {
    json: { [MODEL]: model.json as unknown as JsonValue, runningRows },
    arrays: prefixArrays(MODEL, model.arrays),
  };
}

/** Rows in the running statistics of a mahalanobis state (the reference's plus the updates'). */
export function runningRowsOf(state: FittedState): number {
  const rows = state.json.runningRows;
  return typeof rows === 'number' ? rows : state.referenceRows;
}
