/**
 * Starts one Sightline service as the CLI does (`sightline serve <service>`), on free
 * loopback ports, and waits until it is ready and answers ModelReady for every name the
 * benchmark will call (models on a model-server, graphs on a router).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { V2ClientPool } from '../v2-client.js';
import type { ChildProcessGroup, ManagedChild } from './child-process-group.js';
import { httpStatus, pickFreePort, waitUntilReady } from './readiness.js';

/** Raised when tools/cli has not been built, so no service can be started. */
export class ModelServerNotBuiltError extends Error {
  constructor(readonly missingPath: string) {
    super(`model-server not built: run npx nx run-many -t build (missing ${missingPath})`);
    this.name = 'ModelServerNotBuiltError';
  }
}

/** A Sightline service running in its own process. */
export interface SightlineServiceProcess {
  /** gRPC `host:port`. */
  readonly address: string;
  readonly httpPort: number;
  readonly child: ManagedChild;
}

/** What to start and when it counts as started. */
export interface SightlineServiceLaunch {
  /** The monorepo root (holds tools/cli). */
  readonly workspaceRoot: string;
  /** The CLI's service name, e.g. `model-server`. */
  readonly service: string;
  /** The child's name in logs and failure messages. */
  readonly label: string;
  /** Flags after the ports (`--repository DIR`, ...). */
  readonly flags: readonly string[];
  /** Names that must answer ModelReady before the service counts as started. */
  readonly readyNames: readonly string[];
  readonly startTimeoutMs: number;
}

/**
 * Spawns the service and waits until HTTP /readyz answers 200 (or gRPC ServerReady says
 * ready) and every name in `readyNames` is ready; stops the child if it never gets there.
 */
export async function startSightlineService(
  group: ChildProcessGroup,
  launch: SightlineServiceLaunch,
): Promise<SightlineServiceProcess> {
  const built = join(launch.workspaceRoot, 'tools/cli/dist/main.js');
  if (!existsSync(built)) throw new ModelServerNotBuiltError(built);
  const grpcPort = await pickFreePort();
  const httpPort = await pickFreePort();
  const child = group.spawn(launch.label, process.execPath, [
    join(launch.workspaceRoot, 'tools/cli/bin/sightline.js'),
    'serve',
    launch.service,
    '--host',
    '127.0.0.1',
    '--grpc-port',
    String(grpcPort),
    '--http-port',
    String(httpPort),
    ...launch.flags,
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
        for (const name of launch.readyNames) if (!(await probeClient.modelReady(name))) return false;
        return true;
      },
      launch.startTimeoutMs,
    );
  } catch (error) {
    await group.stop(child);
    throw error;
  } finally {
    probeClient.close();
  }
  return { address, httpPort, child };
}
