import type { LoadResult } from '../load-generator.js';

/** What a setup is: the floor, a served model, or an in-process loop. */
export type SetupKind = 'floor' | 'served' | 'in-process';

/** The measurements of one setup at each concurrency. */
export interface SetupResult {
  /** Stable id used by ratios and JSON consumers, e.g. `iris-served`. */
  readonly id: string;
  /** What the table calls it. */
  readonly label: string;
  readonly kind: SetupKind;
  readonly points: readonly LoadResult[];
  /** Why the setup did not run (or stopped), if it did not complete. */
  readonly skipped?: string;
  /** Server memory after the setup's runs, where a server process was measured. */
  readonly memory?: {
    readonly rssBytes: number;
    readonly peakRssBytes: number;
    readonly readyRssBytes: number;
  };
}

/** The point measured at `concurrency`, if any. */
export function pointAt(setup: SetupResult | undefined, concurrency: number): LoadResult | undefined {
  return setup?.points.find((p) => p.concurrency === concurrency);
}
