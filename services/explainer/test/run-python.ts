import { execFileSync } from 'node:child_process';

/** Upper bound on one reference computation; numpy/scipy answer these in well under a second. */
const PYTHON_TIMEOUT_MS = 60_000;

/** Whether python3 with numpy and scipy is here (the references skip cleanly when not). */
export const hasPython = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy, scipy'], { stdio: 'ignore', timeout: PYTHON_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Runs `script` in python3 with `input` as JSON on stdin and returns what it prints as JSON.
 * The script reads `data = json.load(sys.stdin)`; numpy is imported as np.
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
