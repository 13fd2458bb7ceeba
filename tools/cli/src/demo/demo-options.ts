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

/** Most rows one demo replays. */
export const MAX_DEMO_ROWS = 100_000;
/** Longest --feedback-delay and --settle-timeout, ms: ten minutes (a timer past 2^31 - 1 ms would fire at once). */
export const MAX_DEMO_WAIT_MS = 600_000;
/** Largest --noise-cm and |--drift-shift|, cm: past every iris measurement (at most 7.9 cm). */
export const MAX_DEMO_CM = 10;
/** Largest --seed: the generator's state is 32 bits. */
export const MAX_DEMO_SEED = 0xffff_ffff;

/**
 * Checks the options' rules; answers the first broken one as a sentence naming the option.
 */
export function demoOptionsProblem(o: DemoOptions): string | undefined {
  const wholeNumber = (name: string, value: number, min: number, max: number, unit = '') =>
    !Number.isInteger(value) || value < min || value > max
      ? `--${name}: must be a whole number${unit} from ${min} to ${max}, got ${value}`
      : undefined;
  const fraction = (name: string, value: number, closedTop: boolean) =>
    !(value > 0 && (closedTop ? value <= 1 : value < 1))
      ? `--${name}: must be in (0, 1${closedTop ? ']' : ')'}, got ${value}`
      : undefined;
  return (
    wholeNumber('rows', o.rows, 1, MAX_DEMO_ROWS) ??
    wholeNumber('window-rows', o.windowRows, 1, MAX_DEMO_ROWS / 2) ??
    (o.rows < 2 * o.windowRows
      ? `--rows: must be at least 2 × --window-rows (${o.windowRows}) = ${2 * o.windowRows}, a whole window before the drift and one after, got ${o.rows}`
      : undefined) ??
    wholeNumber('concurrency', o.concurrency, 1, 64) ??
    fraction('drift-at', o.driftAt, false) ??
    fraction('labelled-fraction', o.labelledFraction, true) ??
    fraction('drift-p-value', o.driftPValue, false) ??
    (o.driftShift.length !== 4 || o.driftShift.some((v) => !(Math.abs(v) <= MAX_DEMO_CM))
      ? `--drift-shift: must be four numbers from -${MAX_DEMO_CM} to ${MAX_DEMO_CM} (cm), got ${o.driftShift.join(',')}`
      : undefined) ??
    (!Number.isInteger(o.outliers) || o.outliers < 0 || o.outliers > o.rows
      ? `--outliers: must be a whole number from 0 to --rows (${o.rows}), got ${o.outliers}`
      : undefined) ??
    (driftStartOf(o) < o.windowRows || driftStartOf(o) >= o.rows
      ? `--drift-at: leaves no whole window of ${o.windowRows} rows before or after the drift (${o.rows} rows)`
      : undefined) ??
    (!(o.noiseCm >= 0 && o.noiseCm <= MAX_DEMO_CM)
      ? `--noise-cm: must be from 0 to ${MAX_DEMO_CM} cm, got ${o.noiseCm}`
      : undefined) ??
    wholeNumber('feedback-delay', o.feedbackDelayMs, 0, MAX_DEMO_WAIT_MS, ' of ms') ??
    wholeNumber('settle-timeout', o.settleTimeoutMs, 1, MAX_DEMO_WAIT_MS, ' of ms') ??
    wholeNumber('seed', o.seed, 0, MAX_DEMO_SEED)
  );
}
