import { execFileSync } from 'node:child_process';
import type { DenseMatrix } from '../src/matrix.js';
import { seededRandom } from '../src/random/seeded-random.js';

/** Upper bound on one reference computation; numpy/scipy answer these in well under a second. */
const PYTHON_TIMEOUT_MS = 60_000;

/**
 * Runs `script` in python3 (Debian's numpy/scipy, as in CI) with `input` as JSON on stdin and
 * returns what it prints as JSON. The script reads `data = json.load(sys.stdin)`.
 */
export function runPython<T>(script: string, input: unknown): T {
  const prelude = 'import json, sys\nimport numpy as np\ndata = json.load(sys.stdin)\n';
  const out = execFileSync('python3', ['-c', prelude + script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: PYTHON_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as T;
}

/** A rows x cols matrix of seeded normal draws with mean `shift` (columns listed in `shiftColumns`, default all). */
export function normalMatrix(
  rows: number,
  cols: number,
  seed: number,
  shift = 0,
  shiftColumns?: readonly number[],
): DenseMatrix {
  const random = seededRandom(seed);
  const data = new Float64Array(rows * cols);
  const shifted = new Set(shiftColumns ?? Array.from({ length: cols }, (_, c) => c));
  for (let t = 0; t < data.length; t++) data[t] = random.nextNormal() + (shifted.has(t % cols) ? shift : 0);
  return { rows, cols, data };
}

/** The rows of a matrix as nested arrays, for JSON. */
export function toNested(m: DenseMatrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}
