/**
 * Temporary model repositories for tests: copies of the example models, fixture models and
 * hand-written files under a fresh temp directory, each with its own config.yaml variant.
 */
import { cp, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureBytes, makeTempRepo, writeFiles } from '../fixtures/temp-repo.js';

/** The committed example repository (iris, iris-tfjs, convnet, shapes). */
export const EXAMPLE_MODELS = fileURLToPath(new URL('../../../../examples/models', import.meta.url));

/** One model of a temp repository. */
export type TempModel =
  /** A copy of an example model directory, with `config` replacing its config.yaml when given. */
  | { readonly example: 'iris' | 'iris-tfjs' | 'convnet'; readonly config?: string }
  /** A committed ONNX fixture as version 1, with an optional config.yaml. */
  | { readonly fixture: 'add.onnx' | 'mixed.onnx'; readonly config?: string }
  /** Files written as given (relative path -> contents), e.g. a corrupt model.onnx. */
  | { readonly files: Readonly<Record<string, string | Uint8Array>> }
  /** A symlink to `target` (a directory anywhere) in place of a model directory. */
  | { readonly symlinkTo: string };

/** A temp repository; `cleanup` removes it and everything next to it. */
export interface TempRepository {
  /** The repository directory (`<base>/models`). */
  readonly root: string;
  /** The temp directory holding the repository, for files that must lie outside it. */
  readonly base: string;
  cleanup(): Promise<void>;
}

/** Builds a repository with `models` (directory name -> what it holds). */
export async function createTempRepository(
  models: Readonly<Record<string, TempModel>>,
): Promise<TempRepository> {
  const repo = await makeTempRepo();
  try {
    for (const [name, model] of Object.entries(models)) {
      const dir = path.join(repo.root, name);
      if ('example' in model) {
        await cp(path.join(EXAMPLE_MODELS, model.example), dir, { recursive: true });
        if (model.config !== undefined) await writeFiles(dir, { 'config.yaml': model.config });
      } else if ('fixture' in model) {
        await writeFiles(dir, { '1/model.onnx': await fixtureBytes(model.fixture) });
        if (model.config !== undefined) await writeFiles(dir, { 'config.yaml': model.config });
      } else if ('files' in model) {
        await writeFiles(dir, model.files);
      } else {
        await symlink(model.symlinkTo, dir, 'dir');
      }
    }
  } catch (error) {
    await repo.cleanup();
    throw error;
  }
  return { root: repo.root, base: repo.base, cleanup: repo.cleanup };
}
