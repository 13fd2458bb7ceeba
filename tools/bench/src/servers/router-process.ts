import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { V2ClientPool } from '../v2-client.js';
import type { ChildProcessGroup, ManagedChild } from './child-process-group.js';
import { ModelServerNotBuiltError } from './model-server-process.js';
import { httpStatus, pickFreePort, waitUntilReady } from './readiness.js';

/** How long the router may take to load its graphs and become ready. */
export const ROUTER_START_TIMEOUT_MS = 30_000;
/**
 * The router's log level in a benchmark: warnings and errors still reach the child's
 * output tail (shown when a start fails), routine lines cost nothing.
 */
export const ROUTER_BENCH_LOG_LEVEL = 'warn';

/** Where and what to start. */
export interface RouterLaunch {
  /** The monorepo root (holds tools/cli). */
  readonly workspaceRoot: string;
  /** Directory of graph files loaded at start (`--graphs`). */
  readonly graphsDir: string;
  /** Model-server address for model nodes that name none (`--default-model-server`). */
  readonly defaultModelServer: string;
  /** Event file store and spill directory (`--data-dir`). */
  readonly dataDir: string;
  /** Whether the router emits one event per request into its file store (`--events`). */
  readonly events: boolean;
  /** Graphs that must be ready (ModelReady by graph name) before the router counts as started. */
  readonly graphs: readonly string[];
  readonly startTimeoutMs?: number;
}

/** A router running in its own process. */
export interface RouterProcess {
  /** gRPC `host:port`. */
  readonly address: string;
  readonly httpPort: number;
  readonly child: ManagedChild;
}

/**
 * Starts `node tools/cli/bin/sightline.js serve router` on free loopback ports with strict
 * graph loading and waits until /readyz answers 200 (or gRPC ServerReady says ready) and
 * every graph in `graphs` is ready.
 */
export async function startRouterProcess(
  group: ChildProcessGroup,
  launch: RouterLaunch,
): Promise<RouterProcess> {
  const built = join(launch.workspaceRoot, 'tools/cli/dist/main.js');
  if (!existsSync(built)) throw new ModelServerNotBuiltError(built);
  const grpcPort = await pickFreePort();
  const httpPort = await pickFreePort();
  const child = group.spawn(launch.events ? 'router (events on)' : 'router (events off)', process.execPath, [
    join(launch.workspaceRoot, 'tools/cli/bin/sightline.js'),
    'serve',
    'router',
    '--host',
    '127.0.0.1',
    '--grpc-port',
    String(grpcPort),
    '--http-port',
    String(httpPort),
    '--graphs',
    launch.graphsDir,
    '--strict-graphs',
    'true',
    '--default-model-server',
    launch.defaultModelServer,
    '--data-dir',
    launch.dataDir,
    '--events',
    String(launch.events),
    '--events-file-store',
    String(launch.events),
    '--log-level',
    ROUTER_BENCH_LOG_LEVEL,
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
        for (const graph of launch.graphs) if (!(await probeClient.modelReady(graph))) return false;
        return true;
      },
      launch.startTimeoutMs ?? ROUTER_START_TIMEOUT_MS,
    );
  } catch (error) {
    await group.stop(child);
    throw error;
  } finally {
    probeClient.close();
  }
  return { address, httpPort, child };
}
