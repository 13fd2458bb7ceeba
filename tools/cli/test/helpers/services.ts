/**
 * Starts a real Sightline service for the CLI's tests: `sightline serve <service>` as a
 * child process on 127.0.0.1 with ephemeral ports (the shared starter of
 * `@sightline/service-kit/testing`, run with the built CLI as a user runs it).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindChildService, type ChildService } from '@sightline/service-kit/testing';

/** The repository's root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
/** The built CLI, as a user runs it. */
export const CLI_MAIN = path.join(REPO_ROOT, 'tools/cli/dist/main.js');

/** A running service. */
export type RunningService = ChildService;

/** `(service, args, env)`: spawns `sightline serve <service> --host 127.0.0.1 --grpc-port 0 --http-port 0 ...args`. */
export const startService = bindChildService({ cli: CLI_MAIN, cwd: REPO_ROOT });
