/** Seeded tables and numpy calls shared by the outlier kinds' tests. */
import { execFileSync } from 'node:child_process';
import type { FeatureTable } from '../src/table/feature-table.js';
import { seededUniform } from '../src/testing/reference-kernels.js';

/** Upper bound on one numpy computation (python starts slowly on a loaded machine). */
const PYTHON_TIMEOUT_MS = 60_000;

/** Seeded standard normal draws (Box-Muller on Mulberry32). */
export function seededNormal(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A numeric table of `rows` x `names.length` values from `cell(row, column)`. */
export function numericTable(
  names: readonly string[],
  rows: number,
  cell: (row: number, column: number) => number,
): FeatureTable {
  return {
    names: [...names],
    kinds: names.map(() => 'numeric' as const),
    dictionaries: names.map(() => null),
    rows,
    columns: names.map((_, c) => Float64Array.from({ length: rows }, (_, r) => cell(r, c))),
  };
}

/** Correlated normal columns on different scales and offsets (well conditioned). */
export function correlatedTable(rows: number, seed: number, names = ['a', 'b', 'c']): FeatureTable {
  const normal = seededNormal(seed);
  const base = Array.from({ length: rows * names.length }, normal);
  return numericTable(names, rows, (r, c) => {
    const z = (k: number) => base[r * names.length + k]!;
    return c === 0 ? 100 + 20 * z(0) : c === 1 ? z(0) + 0.5 * z(1) : 0.01 * (z(c) - z(c - 1)) + 3 * c;
  });
}

/** The rows of a table as nested arrays, for JSON. */
export function rowsOf(table: FeatureTable): number[][] {
  return Array.from({ length: table.rows }, (_, r) => table.columns.map((column) => column[r]!));
}

/**
 * Runs `script` in python3 with numpy as `np` and `data` read from stdin as JSON; returns what
 * it prints as JSON.
 */
export function runNumpy<T>(script: string, input: unknown): T {
  const prelude = 'import json, sys\nimport numpy as np\ndata = json.load(sys.stdin)\n';
  const out = execFileSync('python3', ['-c', prelude + script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: PYTHON_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as T;
}

/** The largest |a - b| / max(|b|, 1) over the elements (Infinity for different lengths). */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1));
  }
  return worst;
}
