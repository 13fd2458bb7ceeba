import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The ONNX file of a model's newest numeric version in a Triton-style repository
 * (`<repository>/<model>/<version>/model.onnx`), or undefined when there is none.
 */
export function newestOnnxFile(repository: string, model: string): string | undefined {
  const folder = join(repository, model);
  if (!existsSync(folder)) return undefined;
  const versions = readdirSync(folder)
    .filter((entry) => /^\d+$/.test(entry) && existsSync(join(folder, entry, 'model.onnx')))
    .map(Number)
    .sort((a, b) => b - a);
  return versions.length > 0 ? join(folder, String(versions[0]), 'model.onnx') : undefined;
}
