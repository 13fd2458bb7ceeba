import type { ChildProcessGroup } from './child-process-group.js';
import { type SightlineServiceProcess, startSightlineService } from './sightline-service-process.js';

export { ModelServerNotBuiltError } from './sightline-service-process.js';

/** How long the model-server may take to load its repository and become ready. */
export const MODEL_SERVER_START_TIMEOUT_MS = 60_000;

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
export type ModelServerProcess = SightlineServiceProcess;

/**
 * Starts `node tools/cli/bin/sightline.js serve model-server` on free loopback ports
 * and waits until its HTTP /readyz answers 200 (or gRPC ServerReady says ready) and
 * every model in `models` is ready.
 */
export function startModelServer(
  group: ChildProcessGroup,
  launch: ModelServerLaunch,
): Promise<ModelServerProcess> {
  return startSightlineService(group, {
    workspaceRoot: launch.workspaceRoot,
    service: 'model-server',
    label: 'model-server',
    flags: ['--repository', launch.repository],
    readyNames: launch.models,
    startTimeoutMs: launch.startTimeoutMs ?? MODEL_SERVER_START_TIMEOUT_MS,
  });
}
