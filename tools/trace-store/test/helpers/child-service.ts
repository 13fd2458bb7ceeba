/**
 * Starts a Sightline service as a child process through the CLI on ephemeral ports
 * (the shared starter of `@sightline/service-kit/testing`, bound to this repository's CLI).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindChildService } from '@sightline/service-kit/testing';

export type { ChildService } from '@sightline/service-kit/testing';

/** The repository root, the children's working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** `(service, args, env)`: spawns `sightline serve <service> --host 127.0.0.1 --grpc-port 0 --http-port 0 ...args`. */
export const startChildService = bindChildService({
  cli: path.join(REPO_ROOT, 'tools/cli/bin/sightline.js'),
  cwd: REPO_ROOT,
});
