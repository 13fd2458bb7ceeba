import { execFileSync } from 'node:child_process';

/** Interpreters tried in order: Debian's (which has python3-sklearn), then whatever `python3` is on PATH. */
const PYTHON_CANDIDATES = ['/usr/bin/python3', 'python3'] as const;
/** Upper bound on one reference run (scikit-learn fits 25 forests in a few seconds). */
const PYTHON_TIMEOUT_MS = 120_000;
const PYTHON_MAX_BUFFER_BYTES = 64 * 1024 * 1024;

let resolved: string | undefined;

/**
 * The first interpreter that imports scikit-learn. Here the `python3` on PATH may be a pyenv
 * build without Debian's packages, so Debian's /usr/bin/python3 is tried first; in CI both are
 * Debian's.
 * @throws Error saying what to install when none has scikit-learn.
 */
export function sklearnPython(): string {
  if (resolved) return resolved;
  for (const candidate of PYTHON_CANDIDATES) {
    try {
      execFileSync(candidate, ['-c', 'import sklearn, numpy'], {
        stdio: 'ignore',
        timeout: PYTHON_TIMEOUT_MS,
      });
      resolved = candidate;
      return candidate;
    } catch {
      // Not this one: try the next interpreter.
    }
  }
  throw new Error(
    `no python3 with scikit-learn among ${PYTHON_CANDIDATES.join(', ')}: install Debian's python3-sklearn`,
  );
}

/**
 * Runs `script` in the scikit-learn interpreter with `input` as JSON on stdin (read as `data`)
 * and returns what it prints as JSON.
 */
export function runSklearn<T>(script: string, input: unknown): T {
  const prelude =
    'import json, sys, warnings\nimport numpy as np\nwarnings.simplefilter("ignore")\ndata = json.load(sys.stdin)\n';
  const out = execFileSync(sklearnPython(), ['-c', prelude + script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: PYTHON_TIMEOUT_MS,
    maxBuffer: PYTHON_MAX_BUFFER_BYTES,
  });
  return JSON.parse(out) as T;
}
