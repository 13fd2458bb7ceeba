/**
 * The 2x2 table of two classifiers judged on the same rows: which rows each got right.
 */
import { InvalidArgumentError } from '@sightline/errors';

/** Rows of a paired comparison by which model was right; the baseline is the version in service, the candidate the one compared with it. */
export interface PairedCounts {
  /** Rows both models got right (a). */
  readonly bothCorrect: number;
  /** Rows the baseline got right and the candidate wrong (McNemar's b). */
  readonly baselineOnlyCorrect: number;
  /** Rows the baseline got wrong and the candidate right (McNemar's c). */
  readonly candidateOnlyCorrect: number;
  /** Rows both models got wrong (d). */
  readonly bothWrong: number;
}

const COUNT_FIELDS = ['bothCorrect', 'baselineOnlyCorrect', 'candidateOnlyCorrect', 'bothWrong'] as const;

/** Total rows of the table. */
export function pairCount(counts: PairedCounts): number {
  return counts.bothCorrect + counts.baselineOnlyCorrect + counts.candidateOnlyCorrect + counts.bothWrong;
}

/**
 * @throws InvalidArgumentError naming the field when a count is not a non-negative safe integer
 * (negative, fractional, NaN or infinite).
 */
export function checkPairedCounts(counts: PairedCounts): void {
  for (const field of COUNT_FIELDS) {
    const value = counts[field];
    if (!(Number.isSafeInteger(value) && value >= 0)) {
      throw new InvalidArgumentError(
        `paired counts "${field}": expected a non-negative integer, got ${value}`,
      );
    }
  }
}

/**
 * Counts the 2x2 table from per-row correctness of the two models (1/true = right, 0/false =
 * wrong), row i of one array being the same request as row i of the other.
 * @throws InvalidArgumentError when the lengths differ or a value is not 0, 1, true or false.
 */
export function pairedCounts(
  baselineCorrect: ArrayLike<number | boolean>,
  candidateCorrect: ArrayLike<number | boolean>,
): PairedCounts {
  if (baselineCorrect.length !== candidateCorrect.length) {
    throw new InvalidArgumentError(
      `candidateCorrect: expected one value per baseline row (${baselineCorrect.length}), got ${candidateCorrect.length}`,
    );
  }
  const table = [0, 0, 0, 0];
  for (let i = 0; i < baselineCorrect.length; i++) {
    const base = correctness(baselineCorrect[i]!, 'baselineCorrect', i);
    const cand = correctness(candidateCorrect[i]!, 'candidateCorrect', i);
    table[(base ? 0 : 2) + (cand ? 0 : 1)]! += 1;
  }
  return {
    bothCorrect: table[0]!,
    baselineOnlyCorrect: table[1]!,
    candidateOnlyCorrect: table[2]!,
    bothWrong: table[3]!,
  };
}

function correctness(value: number | boolean, field: string, row: number): boolean {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  throw new InvalidArgumentError(`${field}[${row}]: expected 0, 1, true or false, got ${value}`);
}
