/**
 * The rule for model names.
 *
 * Model names come from remote callers (ModelInfer, RepositoryModelLoad) and become
 * directory names, log fields, metric labels and parts of every answer about the model, so
 * they are bounded before they touch the disk or a message: a name of a few megabytes must
 * cost an answer of a few hundred bytes, never a stored entry.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';

/**
 * The longest model name, in characters. Triton documents no limit, but its names are
 * directory names (255 bytes on most filesystems) and KServe's are Kubernetes names (at most
 * 253); 128 leaves room for the version and file below it and is more than any real name.
 */
export const MODEL_NAME_MAX_LENGTH = 128;

/** The characters of a model name: ASCII letters, digits, `_`, `.` and `-`, not starting with `.`. */
const MODEL_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** The rule in words, as messages and the README state it. */
export const MODEL_NAME_RULE = `1 to ${MODEL_NAME_MAX_LENGTH} characters from A-Z, a-z, 0-9, "_", "." and "-", not starting with "."`;

/** What is wrong with `name` as a model name, or undefined when it follows the rule. */
export function modelNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MODEL_NAME_MAX_LENGTH) return `it is ${name.length} characters long`;
  if (name.startsWith('.')) return 'it starts with "."';
  if (!MODEL_NAME_PATTERN.test(name)) return 'it holds other characters';
  return undefined;
}

/** True when `name` follows the model name rule. */
export function isModelName(name: string): boolean {
  return modelNameProblem(name) === undefined;
}

/**
 * Checks a model name against the rule. The rule also makes every name one plain path
 * segment (no separator, no `.` or `..`, nothing absolute), the first wall against path
 * traversal; the realpath check of the repository is the second.
 *
 * @param field - the field the name came in, for the message (e.g. `model_name`).
 * @throws InvalidArgumentError naming the field, the rule and what broke it.
 */
export function assertModelName(name: string, field = 'model_name'): void {
  const problem = modelNameProblem(name);
  if (problem !== undefined) {
    throw new InvalidArgumentError(`${field} ${quoteName(name)}: must be ${MODEL_NAME_RULE}; ${problem}`);
  }
}
