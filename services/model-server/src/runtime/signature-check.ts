import { InvalidArgumentError } from '@sightline/errors';
import type { TensorSpec } from '@sightline/tensor';

/**
 * Checks that the config's declared tensors agree with the model file's: the same names
 * and, per name, the same datatype. Every disagreement is listed, so one failed load tells
 * the operator everything to fix.
 *
 * @param kind - `inputs` or `outputs`, for messages.
 * @throws InvalidArgumentError listing each mismatch.
 */
export function checkDeclaredSignature(
  modelName: string,
  kind: 'inputs' | 'outputs',
  declared: readonly TensorSpec[],
  actual: readonly TensorSpec[],
): void {
  const problems: string[] = [];
  const actualByName = new Map(actual.map((spec) => [spec.name, spec]));
  const declaredNames = new Set(declared.map((spec) => spec.name));
  for (const spec of declared) {
    const found = actualByName.get(spec.name);
    if (found === undefined) {
      problems.push(`${kind} "${spec.name}" is declared in the config but the model has no such tensor`);
    } else if (found.datatype !== spec.datatype) {
      problems.push(
        `${kind} "${spec.name}": config says ${spec.datatype}, the model file says ${found.datatype}`,
      );
    }
  }
  for (const spec of actual) {
    if (!declaredNames.has(spec.name)) {
      problems.push(`${kind} "${spec.name}" exists in the model file but is missing from the config`);
    }
  }
  if (problems.length > 0) {
    throw new InvalidArgumentError(
      `model "${modelName}": config disagrees with the model file: ${problems.join('; ')}`,
    );
  }
}
