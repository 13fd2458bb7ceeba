/** Paths of the repository and of the deploy package, for tests that read the artefacts. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** deploy/ */
export const DEPLOY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The repository root. */
export const REPO_ROOT = path.resolve(DEPLOY_DIR, '..');

/** A path inside deploy/. */
export function deployPath(...parts: string[]): string {
  return path.join(DEPLOY_DIR, ...parts);
}

/** A path inside the repository. */
export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}
