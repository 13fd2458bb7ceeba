/**
 * What every outlier kind asks of a table before a kernel sees it: numeric columns only and
 * finite cells, as one row-major matrix.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { DenseMatrix } from '../kernels.js';
import { type FeatureTable, requireFinite, toRowMajor } from '../table/feature-table.js';

/**
 * `table` as a row-major matrix for the kernels.
 * @throws InvalidArgumentError naming a categorical column (the outlier kinds measure
 *   distances and splits on numbers, where category codes mean nothing), or the first
 *   non-finite cell's column and row.
 */
export function numericMatrix(kind: string, table: FeatureTable): DenseMatrix {
  const c = table.kinds.indexOf('categorical');
  if (c >= 0) {
    throw new InvalidArgumentError(
      `kind ${quoteName(kind)} scores numeric features; column ${quoteName(table.names[c]!)} is categorical (encode it as numbers, e.g. one-hot)`,
      { field: `column ${quoteName(table.names[c]!)}` },
    );
  }
  requireFinite(table);
  return { rows: table.rows, cols: table.columns.length, data: toRowMajor(table) };
}

/** Arrays of a kernel's state under `prefix.` in a FittedState's arrays. */
export function prefixArrays(
  prefix: string,
  arrays: Readonly<Record<string, Float64Array>>,
): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [key, value] of Object.entries(arrays)) out[`${prefix}.${key}`] = value;
  return out;
}

/**
 * The arrays `names` of a kernel's state back from a FittedState's arrays.
 * @throws InvalidArgumentError naming a missing array (a corrupt save).
 */
export function unprefixArrays<K extends string>(
  kind: string,
  prefix: string,
  arrays: Readonly<Record<string, Float64Array>>,
  names: readonly K[],
): Record<K, Float64Array> {
  const out = {} as Record<K, Float64Array>;
  for (const name of names) {
    const array = arrays[`${prefix}.${name}`];
    if (array === undefined) {
      throw new InvalidArgumentError(
        `kind ${quoteName(kind)}: the saved state has no array ${prefix}.${name}`,
      );
    }
    out[name] = array;
  }
  return out;
}
