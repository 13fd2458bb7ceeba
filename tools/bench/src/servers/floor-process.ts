import { fileURLToPath } from 'node:url';
import type { ChildProcessGroup, ManagedChild } from './child-process-group.js';
import type { FloorModel, FloorOutput } from './floor-server.js';
import { waitForReadyLine } from './readiness.js';

/** How long the floor server may take to start. */
export const FLOOR_START_TIMEOUT_MS = 15_000;

/** A floor server running in its own process. */
export interface FloorProcess {
  readonly address: string;
  readonly child: ManagedChild;
}

/**
 * Starts the floor server (dist/servers/floor-main.js) as a child and waits until it serves;
 * with `model`, the floor runs that model per request (see FloorModel).
 */
export async function startFloorProcess(
  group: ChildProcessGroup,
  output: FloorOutput,
  model?: FloorModel,
): Promise<FloorProcess> {
  const entry = fileURLToPath(new URL('./floor-main.js', import.meta.url));
  const child = group.spawn(model ? 'model floor server' : 'floor server', process.execPath, [
    entry,
    '--output-name',
    output.name,
    '--output-shape',
    output.shape.join(','),
    ...(model ? ['--model-file', model.file, '--intra-op-threads', String(model.intraOpThreads)] : []),
  ]);
  const port = await waitForReadyLine(child, FLOOR_START_TIMEOUT_MS);
  return { address: `127.0.0.1:${port}`, child };
}
