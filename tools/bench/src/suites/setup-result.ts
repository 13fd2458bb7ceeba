import type { LoadResult } from '../load-generator.js';

/** What a setup is: the floor, a served model, or an in-process loop. */
export type SetupKind = 'floor' | 'served' | 'in-process';

/** One measured point of a setup. */
export interface SetupPoint extends LoadResult {
  /**
   * Served setups: requests per model execution over the point (warm-up included), from the
   * server's statistics; shows whether dynamic batching formed batches. Absent elsewhere.
   */
  readonly meanExecutedBatch?: number;
}

/** The measurements of one setup at each concurrency. */
export interface SetupResult {
  /** Stable id used by ratios and JSON consumers, e.g. `iris-served`. */
  readonly id: string;
  /** What the table calls it. */
  readonly label: string;
  readonly kind: SetupKind;
  readonly points: readonly SetupPoint[];
  /** Why the setup did not run (or stopped), if it did not complete. */
  readonly skipped?: string;
  /**
   * CPU time each server process spent per request (ms), over a fixed count of requests
   * after the measured points, by process name; less sensitive to a busy machine than latency.
   */
  readonly cpuMsPerRequest?: Readonly<Record<string, number>>;
  /** Server memory after the setup's runs, where a server process was measured. */
  readonly memory?: {
    readonly rssBytes: number;
    readonly peakRssBytes: number;
    readonly readyRssBytes: number;
  };
}

/** The point measured at `concurrency`, if any. */
export function pointAt(setup: SetupResult | undefined, concurrency: number): SetupPoint | undefined {
  return setup?.points.find((p) => p.concurrency === concurrency);
}
