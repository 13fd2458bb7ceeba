/**
 * Starts a Sightline service as a child process through the CLI on ephemeral ports
 * (the shared starter of `@sightline/service-kit/testing`, bound to this repository's CLI).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService as startWithCli } from '@sightline/service-kit/testing';

export type { ChildService };

/** The repository root, the children's working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const CLI = path.join(REPO_ROOT, 'tools/cli/bin/sightline.js');

/** Spawns `sightline serve <service> --host 127.0.0.1 --grpc-port 0 --http-port 0 ...args`. */
export function startChildService(
  service: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ChildService> {
  return startWithCli({ cli: CLI, cwd: REPO_ROOT, service, args, env });
}
