import { execFileSync } from 'node:child_process';

/**
 * Interpreters tried for scikit-learn: Debian's first (a pyenv `python3` on PATH may lack
 * Debian's python3-sklearn), then `python3`.
 */
export const SKLEARN_PYTHONS = ['/usr/bin/python3', 'python3'] as const;

/** The first interpreter of {@link SKLEARN_PYTHONS} that imports sklearn. */
export function sklearnPython(): string {
  for (const candidate of SKLEARN_PYTHONS) {
    try {
      execFileSync(candidate, ['-c', 'import sklearn'], { stdio: 'ignore', timeout: 60_000 });
      return candidate;
    } catch {
      // Not this interpreter: try the next one.
    }
  }
  throw new Error(
    `no python3 with scikit-learn among ${SKLEARN_PYTHONS.join(', ')}: install python3-sklearn`,
  );
}
