import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcessGroup } from '../servers/child-process-group.js';

/** Events the file-store benchmark writes (its own default). */
export const EVENTS_BENCH_EVENTS = 100_000;
/** How long the file-store benchmark may run before it is stopped. */
export const EVENTS_BENCH_TIMEOUT_MS = 120_000;

/** What libs/events' file-store benchmark printed, and the figures read from it. */
export interface EventsBenchResult {
  /** Its report, line by line, as printed. */
  readonly lines: readonly string[];
  /** Events/s drained through EventPipeline into a FileStoreSink. */
  readonly pipelineEventsPerSec: number | undefined;
  /** The paced run at the target rate: everything delivered, nothing dropped. */
  readonly pacedLossless: boolean | undefined;
}

/**
 * Reads libs/events' file-store benchmark report (`src/bench/file-store-bench.ts`): the
 * drained rate of the `EventPipeline -> FileStoreSink` line, and whether the paced line
 * delivered every event it emitted and dropped none. A figure whose line is missing is
 * undefined.
 */
export function parseEventsBenchOutput(output: string): EventsBenchResult {
  const lines = output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  const rate = /EventPipeline -> FileStoreSink:\s+(\d+) events\/s/.exec(output);
  const paced = /delivered (\d+)\/(\d+), spilled \d+, dropped (\d+)/.exec(output);
  return {
    lines,
    pipelineEventsPerSec: rate ? Number(rate[1]) : undefined,
    pacedLossless: paced ? paced[1] === paced[2] && paced[3] === '0' : undefined,
  };
}

/**
 * Runs `node libs/events/dist/bench/file-store-bench.js` as a child (after the load runs,
 * so it competes with nothing) and reads its report. Throws with the child's output when
 * it is not built, fails or runs past {@link EVENTS_BENCH_TIMEOUT_MS}.
 */
export async function runEventsFileStoreBench(
  group: ChildProcessGroup,
  workspaceRoot: string,
): Promise<EventsBenchResult> {
  const entry = join(workspaceRoot, 'libs/events/dist/bench/file-store-bench.js');
  if (!existsSync(entry)) {
    throw new Error(`events benchmark not built: run npx nx run-many -t build (missing ${entry})`);
  }
  const child = group.spawn('events file-store benchmark', process.execPath, [
    entry,
    String(EVENTS_BENCH_EVENTS),
  ]);
  let stdout = '';
  child.process.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), EVENTS_BENCH_TIMEOUT_MS);
  });
  const late = await Promise.race([child.exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    await group.stop(child);
    throw new Error(`events benchmark: no result after ${EVENTS_BENCH_TIMEOUT_MS} ms`);
  }
  if (child.process.exitCode !== 0) {
    throw new Error(
      `events benchmark exited with code ${child.process.exitCode}: ${child.outputTail().trim()}`,
    );
  }
  return parseEventsBenchOutput(stdout);
}
