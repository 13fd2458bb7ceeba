import { execFileSync } from 'node:child_process';

/** Generous bound for one python3 run (scipy import plus the exact KS of the large cases). */
const PYTHON_TIMEOUT_MS = 120_000;
/** The JSON of the large cases (10,000 x 1,000 samples) needs more than the default buffer. */
const PYTHON_MAX_BUFFER_BYTES = 256 * 1024 * 1024;

/**
 * Runs `script` in python3 with `input` as JSON on stdin and returns the JSON it prints (the
 * scripts write NaN as null, see {@link PYTHON_PRELUDE}).
 */
export function runPython<T>(script: string, input: unknown): T {
  const out = execFileSync('python3', ['-c', script], {
    input: JSON.stringify(input),
    timeout: PYTHON_TIMEOUT_MS,
    maxBuffer: PYTHON_MAX_BUFFER_BYTES,
    encoding: 'utf8',
  });
  return JSON.parse(out) as T;
}

/** A seeded generator (mulberry32) so each run sends scipy the same data sets. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box-Muller from a seeded uniform source. */
export function normals(uniform: () => number, n: number, mean = 0, sd = 1): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const u = 1 - uniform();
    const v = uniform();
    out.push(mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

/** Integers in [0, k) (discrete data with many ties). */
export function integers(uniform: () => number, n: number, k: number): number[] {
  return Array.from({ length: n }, () => Math.floor(uniform() * k));
}

/**
 * The fidelity rule of issue 10: equal to 1e-6 relative, or 1e-12 absolute for p-values near 0
 * (scipy's own exact two-sided p-value is 1 - complement, good to about 1e-16 absolute).
 */
export function closeTo(actual: number, expected: number | null, relative = 1e-6, absolute = 1e-12): boolean {
  if (expected === null) return Number.isNaN(actual);
  const diff = Math.abs(actual - expected);
  return diff <= absolute || diff <= relative * Math.abs(expected);
}

/** The Python side of every fidelity script: NaN becomes null so JSON.parse accepts it. */
export const PYTHON_PRELUDE = `
import json, math, sys, warnings
import numpy as np
import scipy
from scipy import stats
warnings.simplefilter('ignore')
def clean(v):
    v = float(v)
    return None if math.isnan(v) else v
data = json.load(sys.stdin)
`;
