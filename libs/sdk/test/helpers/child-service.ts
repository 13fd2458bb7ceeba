/**
 * Starts a Sightline service as its own process through the CLI
 * (`sightline serve <service> --host 127.0.0.1 --grpc-port 0 ...`), the way operators do,
 * with the shared starter of `@sightline/service-kit/testing` bound to this repository's CLI.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService as startWithCli } from '@sightline/service-kit/testing';

export type { ChildService };

/** The repository root, the children's working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const CLI = path.join(REPO_ROOT, 'tools/cli/bin/sightline.js');
const CLI_BUILD = path.join(REPO_ROOT, 'tools/cli/dist/main.js');

/**
 * Spawns `sightline serve <service>` on 127.0.0.1 with `grpcPort` (0: an ephemeral one),
 * an ephemeral HTTP port, and `args`; its traces are not exported (no collector in these tests).
 */
export function startChildService(
  service: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; grpcPort?: number } = {},
): Promise<ChildService> {
  if (!existsSync(CLI_BUILD)) {
    throw new Error(
      `${CLI_BUILD} is missing: build the CLI first (npx nx run-many -t build), these tests run it`,
    );
  }
  return startWithCli({
    cli: CLI,
    cwd: REPO_ROOT,
    service,
    args,
    env: { OTEL_TRACES_EXPORTER: 'none', ...options.env },
    grpcPort: options.grpcPort,
  });
}

/** A model-server on the examples/ models. */
export function startModelServer(
  extraArgs: readonly string[] = [],
  options: { grpcPort?: number } = {},
): Promise<ChildService> {
  return startChildService('model-server', ['--repository', 'examples/models', ...extraArgs], options);
}

/** A router on the examples/ graphs, pointed at `modelServer`, keeping its data in `dataDir`. */
export function startRouter(
  modelServer: string,
  dataDir: string,
  extraArgs: readonly string[] = [],
): Promise<ChildService> {
  return startChildService(
    'router',
    [
      '--graphs',
      'examples/graphs',
      '--default-model-server',
      modelServer,
      '--data-dir',
      dataDir,
      ...extraArgs,
    ],
    { env: { MODEL_SERVER_ADDRESS: modelServer } },
  );
}
