/** One row's verdict from an online detector: Alibi Detect's `predict` data for that row. */
export interface OnlineStep {
  /** Whether the statistic after this row exceeds the threshold at this time. */
  readonly isDrift: boolean;
  /** Rows seen since the fit or the last reset, this one included (Alibi's `t` after the update). */
  readonly time: number;
  /** The test statistic after this row (MMD: squared MMD; CVM: the largest standardised statistic over windows and features; NaN before the smallest window is full). */
  readonly testStat: number;
  /** The threshold at this time (NaN while no window is full: no verdict possible). */
  readonly threshold: number;
}

/**
 * The running part of an online detector, apart from its fitted thresholds: what a restart
 * must restore and a reset empties. `window` holds the newest rows, oldest first, row-major.
 */
export interface OnlineStateJson {
  /** Format of this document. */
  readonly schemaVersion: 1;
  /** Rows seen since the fit or the last reset. */
  readonly time: number;
  /** Values per row. */
  readonly cols: number;
  /** The window's rows, oldest first, row-major. */
  readonly window: number[];
}

/** The format version of {@link OnlineStateJson}. */
export const ONLINE_STATE_SCHEMA_VERSION = 1;
