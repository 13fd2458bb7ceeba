import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { V2ClientPool } from '../v2-client.js';
import type { ChildProcessGroup, ManagedChild } from './child-process-group.js';
import { httpStatus, pickFreePort, waitUntilReady } from './readiness.js';

/** How long the model-server may take to load its repository and become ready. */
export const MODEL_SERVER_START_TIMEOUT_MS = 60_000;

/** Raised when tools/cli has not been built, so the model-server cannot be started. */
export class ModelServerNotBuiltError extends Error {
  constructor(readonly missingPath: string) {
    super(`model-server not built: run npx nx run-many -t build (missing ${missingPath})`);
    this.name = 'ModelServerNotBuiltError';
  }
}

/** Where and what to start. */
export interface ModelServerLaunch {
  /** The monorepo root (holds tools/cli). */
  readonly workspaceRoot: string;
  /** The model repository to serve. */
  readonly repository: string;
  /** Models that must be ready (ModelReady) before the server counts as started. */
  readonly models: readonly string[];
  readonly startTimeoutMs?: number;
}

/** A model-server running in its own process. */
export interface ModelServerProcess {
  /** gRPC `host:port`. */
  readonly address: string;
  readonly httpPort: number;
  readonly child: ManagedChild;
}

/**
 * Starts `node tools/cli/bin/sightline.js serve model-server` on free loopback ports
 * and waits until its HTTP /readyz answers 200 (or gRPC ServerReady says ready) and
 * every model in `models` is ready.
 */
export async function startModelServer(
  group: ChildProcessGroup,
  launch: ModelServerLaunch,
): Promise<ModelServerProcess> {
  const built = join(launch.workspaceRoot, 'tools/cli/dist/main.js');
  if (!existsSync(built)) throw new ModelServerNotBuiltError(built);
  const grpcPort = await pickFreePort();
  const httpPort = await pickFreePort();
  const child = group.spawn('model-server', process.execPath, [
    join(launch.workspaceRoot, 'tools/cli/bin/sightline.js'),
    'serve',
    'model-server',
    '--grpc-port',
    String(grpcPort),
    '--http-port',
    String(httpPort),
    '--repository',
    launch.repository,
  ]);
  const address = `127.0.0.1:${grpcPort}`;
  const probeClient = new V2ClientPool(address, 1);
  try {
    await waitUntilReady(
      child,
      async () => {
        const ready =
          (await httpStatus(`http://127.0.0.1:${httpPort}/readyz`)) === 200 ||
          (await probeClient.serverReady());
        if (!ready) return false;
        for (const model of launch.models) if (!(await probeClient.modelReady(model))) return false;
        return true;
      },
      launch.startTimeoutMs ?? MODEL_SERVER_START_TIMEOUT_MS,
    );
  } catch (error) {
    await group.stop(child);
    throw error;
  } finally {
    probeClient.close();
  }
  return { address, httpPort, child };
}
