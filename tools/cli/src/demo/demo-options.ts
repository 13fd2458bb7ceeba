/**
 * The demo's settings: every count, size and wait, with its default. `sightline demo` has
 * a flag for each; the end-to-end test uses the defaults.
 */

/** The demo's settings, resolved. */
export interface DemoOptions {
  /** Rows replayed, one request each. */
  readonly rows: number;
  /** Fraction of the rows after which the drift starts, in (0, 1). */
  readonly driftAt: number;
  /** Added to each measurement from the drift on, cm (sepal length, sepal width, petal length, petal width). */
  readonly driftShift: readonly number[];
  /** Outliers planted among the rows. */
  readonly outliers: number;
  /** Fraction of the rows whose true label is sent later, in (0, 1]. */
  readonly labelledFraction: number;
  /** How long after the replay the labels are sent, ms. */
  readonly feedbackDelayMs: number;
  /** Rows per drift window; the drift starts on a window boundary. */
  readonly windowRows: number;
  /** The drift detector's p-value threshold (Bonferroni over the four measurements). */
  readonly driftPValue: number;
  /** Standard deviation of the noise on each resampled measurement, cm. */
  readonly noiseCm: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Longest wait for the asynchronous consumers (drift windows, metrics, traces) to catch up, ms. */
  readonly settleTimeoutMs: number;
  /** Seed of the resampling, the noise, the outliers' places and the labelled rows. */
  readonly seed: number;
  /** The drift detector the demo creates (replacing one of that name). */
  readonly driftDetector: string;
  /** The graph replayed through. */
  readonly graph: string;
}

/** The defaults: about 20 s on a two-core machine (the replay 16 s: 2,000 requests, four at a time). */
export const DEFAULT_DEMO_OPTIONS: DemoOptions = Object.freeze({
  rows: 2000,
  driftAt: 0.5,
  // Sepals a little longer, petals longer and thinner: the live model's answers move to
  // other classes (accuracy ~0.97 -> ~0.6) and its confidence drops (CBPE ~0.90 -> ~0.78).
  driftShift: Object.freeze([0.5, 0, 1.5, -0.5]),
  outliers: 20,
  labelledFraction: 0.5,
  feedbackDelayMs: 2000,
  windowRows: 100,
  driftPValue: 0.01,
  noiseCm: 0.05,
  concurrency: 4,
  settleTimeoutMs: 30_000,
  seed: 42,
  driftDetector: 'iris-demo-drift',
  graph: 'iris',
});

/** The first drifted row: `driftAt` of the rows, rounded down to a window boundary. */
export function driftStartOf(options: Pick<DemoOptions, 'rows' | 'driftAt' | 'windowRows'>): number {
  return Math.floor((options.rows * options.driftAt) / options.windowRows) * options.windowRows;
}

/**
 * Checks the options' rules; answers the first broken one as a sentence naming the option.
 */
export function demoOptionsProblem(o: DemoOptions): string | undefined {
  const positiveInt = (name: string, value: number, max: number) =>
    !Number.isInteger(value) || value < 1 || value > max
      ? `--${name}: must be a whole number from 1 to ${max}, got ${value}`
      : undefined;
  const fraction = (name: string, value: number, closedTop: boolean) =>
    !(value > 0 && (closedTop ? value <= 1 : value < 1))
      ? `--${name}: must be in (0, 1${closedTop ? ']' : ')'}, got ${value}`
      : undefined;
  return (
    positiveInt('rows', o.rows, 100_000) ??
    positiveInt('window-rows', o.windowRows, o.rows) ??
    positiveInt('concurrency', o.concurrency, 64) ??
    fraction('drift-at', o.driftAt, false) ??
    fraction('labelled-fraction', o.labelledFraction, true) ??
    fraction('drift-p-value', o.driftPValue, false) ??
    (o.driftShift.length !== 4 || o.driftShift.some((v) => !Number.isFinite(v))
      ? `--drift-shift: must be four numbers (cm), got ${o.driftShift.join(',')}`
      : undefined) ??
    (!Number.isInteger(o.outliers) || o.outliers < 0 || o.outliers > o.rows
      ? `--outliers: must be a whole number from 0 to --rows (${o.rows}), got ${o.outliers}`
      : undefined) ??
    (driftStartOf(o) < o.windowRows || driftStartOf(o) >= o.rows
      ? `--drift-at: leaves no whole window of ${o.windowRows} rows before or after the drift (${o.rows} rows)`
      : undefined) ??
    (!(o.noiseCm >= 0) ? `--noise-cm: must be 0 or more, got ${o.noiseCm}` : undefined) ??
    (!Number.isInteger(o.feedbackDelayMs) || o.feedbackDelayMs < 0
      ? `--feedback-delay: must be 0 ms or more, got ${o.feedbackDelayMs}`
      : undefined) ??
    (!Number.isInteger(o.settleTimeoutMs) || o.settleTimeoutMs < 1
      ? `--settle-timeout: must be 1 ms or more, got ${o.settleTimeoutMs}`
      : undefined)
  );
}
