import { InvalidArgumentError } from '@sightline/errors';

/** Row-major dense matrix: row i, column j at data[i * cols + j]. */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/**
 * Wraps `data` (not copied) as a `rows` x `cols` matrix after checking that the sizes agree.
 * @throws InvalidArgumentError when `data.length !== rows * cols` or a size is not a non-negative integer.
 */
export function denseMatrix(rows: number, cols: number, data: Float64Array): DenseMatrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new InvalidArgumentError(
      `matrix: rows and cols must be non-negative integers, got ${rows} x ${cols}`,
    );
  }
  if (data.length !== rows * cols) {
    throw new InvalidArgumentError(
      `matrix: ${rows} x ${cols} needs ${rows * cols} values, got ${data.length}`,
    );
  }
  return { rows, cols, data };
}

/**
 * Copies an array of equal-length rows into a matrix.
 * @throws InvalidArgumentError naming the first row whose length differs from row 0's.
 */
export function matrixFromRows(rows: readonly ArrayLike<number>[]): DenseMatrix {
  const cols = rows.length === 0 ? 0 : rows[0]!.length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) {
      throw new InvalidArgumentError(`matrix: row ${i} has ${row.length} values, expected ${cols} as row 0`);
    }
    for (let j = 0; j < cols; j++) data[i * cols + j] = row[j]!;
  });
  return { rows: rows.length, cols, data };
}

/** Copies column `j` out of a row-major matrix (a strided read, so a copy rather than a view). */
export function matrixColumn(matrix: DenseMatrix, j: number): Float64Array {
  if (!Number.isInteger(j) || j < 0 || j >= matrix.cols) {
    throw new InvalidArgumentError(`matrix: column ${j} does not exist (matrix has ${matrix.cols} columns)`);
  }
  const out = new Float64Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) out[i] = matrix.data[i * matrix.cols + j]!;
  return out;
}

/** Row `i` as a view over the matrix's storage (no copy; writes go through). */
export function matrixRow(matrix: DenseMatrix, i: number): Float64Array {
  if (!Number.isInteger(i) || i < 0 || i >= matrix.rows) {
    throw new InvalidArgumentError(`matrix: row ${i} does not exist (matrix has ${matrix.rows} rows)`);
  }
  return matrix.data.subarray(i * matrix.cols, (i + 1) * matrix.cols);
}

/** Builds a matrix from column-major columns of equal length (the detectors' feature-table layout). */
export function matrixFromColumns(columns: readonly ArrayLike<number>[]): DenseMatrix {
  const cols = columns.length;
  const rows = cols === 0 ? 0 : columns[0]!.length;
  const data = new Float64Array(rows * cols);
  columns.forEach((column, j) => {
    if (column.length !== rows) {
      throw new InvalidArgumentError(
        `matrix: column ${j} has ${column.length} values, expected ${rows} as column 0`,
      );
    }
    for (let i = 0; i < rows; i++) data[i * cols + j] = column[i]!;
  });
  return { rows, cols, data };
}

/**
 * Refuses NaN and ±Infinity, naming the argument, row and column, so a kernel never returns NaN
 * silently.
 * @throws InvalidArgumentError `<name>, row 17, column 3: NaN is not allowed`.
 */
export function assertFiniteMatrix(matrix: DenseMatrix, name: string): void {
  const { data, cols } = matrix;
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (!Number.isFinite(v)) {
      throw new InvalidArgumentError(
        `${name}, row ${Math.floor(k / cols)}, column ${k % cols}: ${v} is not allowed`,
      );
    }
  }
}
