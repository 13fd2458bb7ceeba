import { InvalidArgumentError } from '@sightline/errors';

/** What a concept-drift detector says after a value: nothing, a warning, or drift. */
export type DriftState = 'stable' | 'warning' | 'drift';

/** A detector fed one value at a time (an error indicator or a per-pair loss). */
export interface ConceptDriftDetector {
  /** Adds a value and returns the state after it. */
  update(value: number): DriftState;
  /** The state after the last value. */
  readonly state: DriftState;
  /** Forgets everything (a fresh detector with the same parameters). */
  reset(): void;
}

/** @throws InvalidArgumentError naming `field` unless `value` is finite and satisfies `rule`. */
export function checkParameter(field: string, value: number, ok: boolean, rule: string): void {
  if (!(Number.isFinite(value) && ok))
    throw new InvalidArgumentError(`${field}: expected ${rule}, got ${value}`);
}
