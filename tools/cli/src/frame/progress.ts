/**
 * Progress on anything long (a model load, a big input file, an event query): cli-progress
 * bars drawn on stderr, and only when stderr is a terminal, so scripts, pipes and CI logs
 * see nothing but the result. The bars never touch stdout, so `--json` output stays one
 * document.
 */
import cliProgress from 'cli-progress';

/** One bar; every method is a no-op when progress is not shown. */
export interface ProgressBar {
  /** Sets the amount done so far. */
  update(done: number): void;
  /** Adds to the amount done. */
  increment(delta?: number): void;
  /** Changes the total (e.g. when a stream turns out shorter than its limit). */
  setTotal(total: number): void;
  /** Removes the bar from the terminal. */
  stop(): void;
}

/** What a command uses to show progress. */
export interface Progress {
  /** True when bars are drawn (stderr is a terminal). */
  readonly shown: boolean;
  /** A bar over a known total: bytes read (`unit: 'bytes'`) or items received. */
  bar(label: string, total: number, unit?: 'bytes' | 'items'): ProgressBar;
  /**
   * A ticking elapsed-time line while one call with no measurable progress runs (a model
   * load, an inference), shown once it has run {@link DURING_DELAY_MS}:
   * `loading model "iris"... 3s`. Resolves or rejects as `work` does.
   */
  during<T>(label: string, work: Promise<T>): Promise<T>;
}

const NO_BAR: ProgressBar = {
  update: () => {},
  increment: () => {},
  setTotal: () => {},
  stop: () => {},
};

/** Progress that draws nothing (not a terminal). */
export const NO_PROGRESS: Progress = {
  shown: false,
  bar: () => NO_BAR,
  during: (_label, work) => work,
};

/** How long a call runs before `during` shows its line, in ms: quicker calls show none. */
export const DURING_DELAY_MS = 1000;

/** A terminal stream as cli-progress writes to it. */
export type TerminalStream = NodeJS.WritableStream & { readonly isTTY?: boolean };

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * Progress drawn on `stream` when it is a terminal, else {@link NO_PROGRESS}.
 *
 * @param stream - normally process.stderr.
 */
export function terminalProgress(
  stream: TerminalStream,
  options: { readonly duringDelayMs?: number } = {},
): Progress {
  if (stream.isTTY !== true) return NO_PROGRESS;
  const common = {
    stream,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
    // Drawing only where there is a terminal is decided above; cli-progress must not second-guess it.
    noTTYOutput: false,
  } as const;
  return {
    shown: true,
    bar(label, total, unit = 'items') {
      const bar = new cliProgress.SingleBar(
        {
          ...common,
          format: `${label} {bar} {percentage}% {shown} {eta_formatted}`,
          formatValue: (value, _options, type) =>
            unit === 'bytes' && (type === 'value' || type === 'total') ? formatBytes(value) : String(value),
        },
        cliProgress.Presets.shades_classic,
      );
      const payload = (done: number, of: number) => ({
        shown: unit === 'bytes' ? `${formatBytes(done)}/${formatBytes(of)}` : `${done}/${of}`,
      });
      let done = 0;
      let of = total;
      bar.start(total, 0, payload(0, total));
      return {
        update(value) {
          done = value;
          bar.update(done, payload(done, of));
        },
        increment(delta = 1) {
          done += delta;
          bar.update(done, payload(done, of));
        },
        setTotal(value) {
          of = value;
          bar.setTotal(value);
          bar.update(done, payload(done, of));
        },
        stop: () => bar.stop(),
      };
    },
    async during(label, work) {
      let bar: cliProgress.SingleBar | undefined;
      // A call that answers within the delay shows nothing (no flash of a line for 20 ms).
      const timer = setTimeout(() => {
        bar = new cliProgress.SingleBar({ ...common, format: `${label}... {duration}s` });
        bar.start(1, 0);
      }, options.duringDelayMs ?? DURING_DELAY_MS);
      try {
        return await work;
      } finally {
        clearTimeout(timer);
        bar?.stop();
      }
    },
  };
}
