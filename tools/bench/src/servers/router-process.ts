import type { ChildProcessGroup } from './child-process-group.js';
import { type SightlineServiceProcess, startSightlineService } from './sightline-service-process.js';

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
  /** Client of the router's upstream ModelInfer calls (`--upstream-client`; default: the router's). */
  readonly upstreamClient?: string;
  /** Label in progress and failure output (default: by `events`). */
  readonly label?: string;
  /** Outlier service for detector nodes that name no address (`--outlier-address`). */
  readonly outlierAddress?: string;
}

/** A router running in its own process. */
export type RouterProcess = SightlineServiceProcess;

/**
 * Starts `node tools/cli/bin/sightline.js serve router` on free loopback ports with strict
 * graph loading and waits until /readyz answers 200 (or gRPC ServerReady says ready) and
 * every graph in `graphs` is ready.
 */
export function startRouterProcess(group: ChildProcessGroup, launch: RouterLaunch): Promise<RouterProcess> {
  return startSightlineService(group, {
    workspaceRoot: launch.workspaceRoot,
    service: 'router',
    label: launch.label ?? (launch.events ? 'router (events on)' : 'router (events off)'),
    flags: [
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
      ...(launch.upstreamClient ? ['--upstream-client', launch.upstreamClient] : []),
      ...(launch.outlierAddress ? ['--outlier-address', launch.outlierAddress] : []),
    ],
    readyNames: launch.graphs,
    startTimeoutMs: launch.startTimeoutMs ?? ROUTER_START_TIMEOUT_MS,
  });
}
