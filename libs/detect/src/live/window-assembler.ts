/**
 * Cuts a stream of rows into windows that close on a row count or a duration, whichever
 * comes first. Time is passed in (the live scorer's clock, or event times in a historical
 * run), so the assembler is deterministic and testable. Its open window can be checkpointed
 * as JSON and restored after a restart.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { ColumnKind } from '../table/feature-table.js';
import {
  DEFAULT_WINDOW_EXACT_ROWS,
  WindowSummary,
  type WindowSummaryJson,
  type WindowSummaryOptions,
} from './window-summary.js';

/** Tumbling windows do not overlap; sliding windows are the last rows, one every hop. */
export type WindowMode = 'tumbling' | 'sliding';

/** When windows close, resolved (see {@link resolveWindowPolicy} for defaults). */
export interface WindowPolicy {
  readonly mode: WindowMode;
  /** A window closes once it holds this many rows (an event's rows are never split across windows). */
  readonly maxRows: number;
  /** ... or this long after it opened (its first row arrived), whichever comes first. */
  readonly maxDurationMs: number;
  /**
   * Fewest rows a window is scored with. A window closing on time with fewer is not scored:
   * its rows are carried over into the next window.
   */
  readonly minRows: number;
  /**
   * Sliding: a window closes every `hopRows` new rows once it holds `maxRows` (a shorter one
   * closes only on time) ...
   */
  readonly hopRows: number;
  /** ... or every `hopMs`, whichever comes first. Ignored by tumbling windows. */
  readonly hopMs: number;
  /**
   * Tumbling: rows a window holds raw (default {@link DEFAULT_WINDOW_EXACT_ROWS}); past it the
   * window folds into a {@link WindowSummary} (sketches, counts, a reservoir sample) and is
   * scored approximately, the result saying so. Sliding windows are always exact (a sketch
   * cannot forget the rows that slide out), so they ignore it.
   */
  readonly exactRows?: number;
  /**
   * Tumbling: windows start at multiples of maxDurationMs (start = floor(t / maxDurationMs)
   * x maxDurationMs) instead of at their first row, so that replicas of a service cut the
   * same windows and their shares can be merged. A window may still close earlier on its
   * row count; the next one then closes at the same boundary.
   */
  readonly aligned?: boolean;
}

/** Rows of a window by default. */
export const DEFAULT_WINDOW_MAX_ROWS = 1000;
/** Duration of a window by default: one minute. */
export const DEFAULT_WINDOW_MAX_DURATION_MS = 60_000;
/** Fewest rows a window is scored with, by default. */
export const DEFAULT_WINDOW_MIN_ROWS = 10;
/** Most rows a window may be asked to hold (its rows are held in memory until it closes). */
export const MAX_WINDOW_ROWS = 1_000_000;

/**
 * `policy` with defaults: tumbling, {@link DEFAULT_WINDOW_MAX_ROWS} rows,
 * {@link DEFAULT_WINDOW_MAX_DURATION_MS}, {@link DEFAULT_WINDOW_MIN_ROWS} (or maxRows when
 * smaller); sliding hops default to half the window.
 * @throws InvalidArgumentError naming the field and the rule.
 */
export function resolveWindowPolicy(policy: Partial<WindowPolicy> = {}): WindowPolicy {
  const mode = policy.mode ?? 'tumbling';
  if (mode !== 'tumbling' && mode !== 'sliding') {
    throw new InvalidArgumentError(`window.mode must be tumbling or sliding, got ${JSON.stringify(mode)}`, {
      field: 'window.mode',
    });
  }
  const int = (name: keyof WindowPolicy, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`window.${name} must be an integer in [${min}, ${max}], got ${value}`, {
        field: `window.${name}`,
      });
    }
    return value;
  };
  const maxRows = int('maxRows', policy.maxRows ?? DEFAULT_WINDOW_MAX_ROWS, 1, MAX_WINDOW_ROWS);
  const maxDurationMs = int(
    'maxDurationMs',
    policy.maxDurationMs ?? DEFAULT_WINDOW_MAX_DURATION_MS,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const minRows = int('minRows', policy.minRows ?? Math.min(DEFAULT_WINDOW_MIN_ROWS, maxRows), 1, maxRows);
  const hopRows = int('hopRows', policy.hopRows ?? Math.max(1, Math.ceil(maxRows / 2)), 1, maxRows);
  const hopMs = int('hopMs', policy.hopMs ?? Math.max(1, Math.ceil(maxDurationMs / 2)), 1, maxDurationMs);
  // Absent unless given, so that a policy without it reads as before (the default applies).
  const exactRows =
    policy.exactRows === undefined ? undefined : int('exactRows', policy.exactRows, minRows, MAX_WINDOW_ROWS);
  if (policy.aligned !== undefined && typeof policy.aligned !== 'boolean') {
    throw new InvalidArgumentError(
      `window.aligned must be true or false, got ${JSON.stringify(policy.aligned)}`,
      {
        field: 'window.aligned',
      },
    );
  }
  if (policy.aligned && mode !== 'tumbling') {
    throw new InvalidArgumentError('window.aligned: only tumbling windows can be aligned', {
      field: 'window.aligned',
    });
  }
  return {
    mode,
    maxRows,
    maxDurationMs,
    minRows,
    hopRows,
    hopMs,
    ...(exactRows ? { exactRows } : {}),
    ...(policy.aligned ? { aligned: true } : {}),
  };
}

/** The rows one event gave. */
export interface WindowChunk {
  /** Row-major values, `rows * width` of them. */
  readonly values: Float64Array;
  readonly rows: number;
  readonly timeMs: number;
  readonly requestId: string;
  /** Per column, cells of the wrong type (quality tables only). */
  readonly typeViolations?: readonly number[];
}

/** Why a window closed. */
export type WindowCloseReason = 'rows' | 'time' | 'hop' | 'flush';

/** A closed window's rows. */
export interface ClosedWindow {
  /** 1, 2, 3 ... per assembler. */
  readonly sequence: number;
  /** Time of its first row. */
  readonly startMs: number;
  /** When it closed (the time passed in). */
  readonly endMs: number;
  readonly reason: WindowCloseReason;
  readonly rows: number;
  /** Row-major values. */
  readonly values: Float64Array;
  /** Request id of each chunk, in order (a request appears once per chunk it gave). */
  readonly requestIds: readonly string[];
  readonly typeViolations?: readonly number[];
  /** Rows carried into this window from windows that closed on time with too few rows. */
  readonly carriedRows: number;
  /**
   * Present when the window grew past the policy's exactRows: its rows were folded into this
   * summary (`values` is then empty and `requestIds` the summary's first ids).
   */
  readonly summary?: WindowSummary;
  /** Events in the window when summarised (`requestIds` then lists only the first ones). */
  readonly requestCount?: number;
}

/** How an assembler summarises a window past exactRows. */
export interface WindowSummarySettings extends Partial<Omit<WindowSummaryOptions, 'kinds'>> {
  /** Per column, numeric (quantile sketch) or categorical (counts); default all numeric. */
  readonly kinds?: readonly ColumnKind[];
}

/** An assembler's open state, as JSON. */
export interface WindowCheckpoint {
  readonly policy: WindowPolicy;
  readonly width: number;
  readonly sequence: number;
  readonly openedAtMs: number | null;
  readonly lastHopMs: number | null;
  readonly rowsSinceHop: number;
  readonly carriedRows: number;
  readonly chunks: readonly {
    readonly values: number[];
    readonly rows: number;
    readonly timeMs: number;
    readonly requestId: string;
    readonly typeViolations?: number[];
  }[];
  /** The open window's summary, when it grew past exactRows. */
  readonly summary?: WindowSummaryJson;
  /** The column kinds the assembler summarises with. */
  readonly kinds?: readonly ColumnKind[];
}

/** Windows of one (detector, model, version). */
export class WindowAssembler {
  private chunks: WindowChunk[] = [];
  private rowCount = 0;
  private sequence = 0;
  /** When the open window's deadline started counting (first row, or the last carry-over). */
  private openedAtMs: number | null = null;
  private lastHopMs: number | null = null;
  private rowsSinceHop = 0;
  private carriedRows = 0;
  /** The open window once it holds more than exactRows rows (its chunks are then folded in). */
  private summary: WindowSummary | null = null;
  private readonly summarySettings: WindowSummaryOptions;

  constructor(
    readonly policy: WindowPolicy,
    /** Values per row. */
    readonly width: number,
    summary: WindowSummarySettings = {},
  ) {
    const kinds = summary.kinds ?? new Array<ColumnKind>(width).fill('numeric');
    if (kinds.length !== width) {
      throw new InvalidArgumentError(`window summary: ${kinds.length} column kinds for ${width} columns`);
    }
    this.summarySettings = { ...summary, kinds };
  }

  /** Whether the open window has been folded into a summary. */
  get summarised(): boolean {
    return this.summary !== null;
  }

  /** Rows held now. */
  get openRows(): number {
    return this.rowCount;
  }

  /** Events (chunks) held now. */
  get openEvents(): number {
    return this.chunks.length + (this.summary?.requests ?? 0);
  }

  /**
   * Adds one event's rows at `chunk.timeMs`; answers the windows this closed (first any
   * that were due by time before the rows arrived).
   */
  add(chunk: WindowChunk): ClosedWindow[] {
    if (chunk.values.length !== chunk.rows * this.width) {
      throw new InvalidArgumentError(`a chunk of ${chunk.rows} rows needs ${chunk.rows * this.width} values`);
    }
    const closed = this.poll(chunk.timeMs);
    if (chunk.rows === 0) return closed;
    if (this.openedAtMs === null) this.openedAtMs = this.windowStart(chunk.timeMs);
    if (this.lastHopMs === null) this.lastHopMs = chunk.timeMs;
    if (this.summary) this.summary.add(chunk);
    else this.chunks.push(chunk);
    this.rowCount += chunk.rows;
    this.rowsSinceHop += chunk.rows;
    if (this.policy.mode === 'tumbling') {
      if (this.summary === null && this.rowCount > (this.policy.exactRows ?? DEFAULT_WINDOW_EXACT_ROWS)) {
        this.fold();
      }
      if (this.rowCount >= this.policy.maxRows) closed.push(this.closeTumbling(chunk.timeMs, 'rows'));
    } else {
      this.trimSliding(chunk.timeMs);
      // On count, only a full window closes (a shorter one closes on time, subject to minRows).
      if (this.rowsSinceHop >= this.policy.hopRows && this.rowCount >= this.policy.maxRows) {
        this.hop(chunk.timeMs, 'hop', closed);
      }
    }
    return closed;
  }

  /** Closes what is due at `nowMs` by time; answers the closed windows. */
  poll(nowMs: number): ClosedWindow[] {
    const closed: ClosedWindow[] = [];
    if (this.rowCount === 0) return closed;
    if (this.policy.mode === 'tumbling') {
      if (nowMs - this.openedAtMs! < this.policy.maxDurationMs) return closed;
      if (this.rowCount >= this.policy.minRows) closed.push(this.closeTumbling(nowMs, 'time'));
      else {
        // Too few rows to score: keep them for the next window, whose deadline starts now.
        this.carriedRows = this.rowCount;
        this.openedAtMs = this.windowStart(nowMs);
      }
      return closed;
    }
    this.trimSliding(nowMs);
    if (this.rowCount > 0 && nowMs - this.lastHopMs! >= this.policy.hopMs) this.hop(nowMs, 'time', closed);
    return closed;
  }

  /**
   * Closes the open window if it holds at least `minRows` (graceful end of a run); a
   * sliding window only when rows arrived since its last close.
   */
  flush(nowMs: number): ClosedWindow[] {
    if (this.rowCount < this.policy.minRows || this.rowCount === 0) return [];
    if (this.policy.mode === 'tumbling') return [this.closeTumbling(nowMs, 'flush')];
    if (this.rowsSinceHop === 0) return [];
    const closed: ClosedWindow[] = [];
    this.hop(nowMs, 'flush', closed);
    return closed;
  }

  /** The open state, as JSON. */
  checkpoint(): WindowCheckpoint {
    return {
      policy: this.policy,
      width: this.width,
      sequence: this.sequence,
      openedAtMs: this.openedAtMs,
      lastHopMs: this.lastHopMs,
      rowsSinceHop: this.rowsSinceHop,
      carriedRows: this.carriedRows,
      chunks: this.chunks.map((c) => ({
        values: [...c.values],
        rows: c.rows,
        timeMs: c.timeMs,
        requestId: c.requestId,
        ...(c.typeViolations ? { typeViolations: [...c.typeViolations] } : {}),
      })),
      kinds: this.summarySettings.kinds,
      ...(this.summary ? { summary: this.summary.toJSON() } : {}),
    };
  }

  /**
   * An assembler in the state of `checkpoint`.
   * @throws InvalidArgumentError when the checkpoint does not hold together.
   */
  static restore(checkpoint: WindowCheckpoint): WindowAssembler {
    const assembler = new WindowAssembler(
      resolveWindowPolicy(checkpoint.policy),
      checkpoint.width,
      checkpoint.kinds ? { kinds: checkpoint.kinds } : {},
    );
    assembler.sequence = checkpoint.sequence;
    assembler.openedAtMs = checkpoint.openedAtMs;
    assembler.lastHopMs = checkpoint.lastHopMs;
    assembler.rowsSinceHop = checkpoint.rowsSinceHop;
    assembler.carriedRows = checkpoint.carriedRows;
    for (const c of checkpoint.chunks) {
      if (c.values.length !== c.rows * checkpoint.width) {
        throw new InvalidArgumentError('window checkpoint: a chunk does not match its row count');
      }
      assembler.chunks.push({
        values: Float64Array.from(c.values),
        rows: c.rows,
        timeMs: c.timeMs,
        requestId: c.requestId,
        ...(c.typeViolations ? { typeViolations: c.typeViolations } : {}),
      });
      assembler.rowCount += c.rows;
    }
    if (checkpoint.summary) {
      assembler.summary = WindowSummary.fromJSON(checkpoint.summary);
      assembler.rowCount += assembler.summary.rows;
    }
    return assembler;
  }

  /**
   * An aligned window's slot: its boundary start, and the slot's end when it closed on time
   * (a replica's share and the merger's window then carry the same bounds), else the close.
   */
  private alignedBounds(nowMs: number, reason: WindowCloseReason): { startMs: number; endMs: number } {
    const startMs = this.openedAtMs!;
    return { startMs, endMs: reason === 'time' ? startMs + this.policy.maxDurationMs : nowMs };
  }

  /** When a window opened at `timeMs` starts: then, or its aligned boundary. */
  private windowStart(timeMs: number): number {
    if (!this.policy.aligned) return timeMs;
    return Math.floor(timeMs / this.policy.maxDurationMs) * this.policy.maxDurationMs;
  }

  /** Folds the open window's rows into a summary: it has grown past exactRows. */
  private fold(): void {
    const summary = new WindowSummary(this.summarySettings);
    for (const c of this.chunks) summary.add(c);
    this.summary = summary;
    this.chunks = [];
  }

  private closeTumbling(nowMs: number, reason: WindowCloseReason): ClosedWindow {
    const window = this.window(nowMs, reason);
    this.chunks = [];
    this.summary = null;
    this.rowCount = 0;
    this.openedAtMs = null;
    this.carriedRows = 0;
    return window;
  }

  private hop(nowMs: number, reason: WindowCloseReason, closed: ClosedWindow[]): void {
    this.rowsSinceHop = 0;
    this.lastHopMs = nowMs;
    if (this.rowCount >= this.policy.minRows) closed.push(this.window(nowMs, reason));
  }

  /** Drops rows that left the sliding window: older than its duration, or beyond its rows. */
  private trimSliding(nowMs: number): void {
    while (this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const tooOld = nowMs - first.timeMs >= this.policy.maxDurationMs;
      const tooMany = this.rowCount - first.rows >= this.policy.maxRows;
      if (!tooOld && !tooMany) break;
      this.chunks.shift();
      this.rowCount -= first.rows;
    }
  }

  private window(nowMs: number, reason: WindowCloseReason): ClosedWindow {
    const aligned = this.policy.aligned ? this.alignedBounds(nowMs, reason) : undefined;
    if (this.summary) {
      this.sequence++;
      return {
        sequence: this.sequence,
        startMs: aligned?.startMs ?? this.summary.firstMs!,
        endMs: aligned?.endMs ?? nowMs,
        reason,
        rows: this.rowCount,
        values: new Float64Array(0),
        requestIds: this.summary.requestIds,
        carriedRows: this.carriedRows,
        summary: this.summary,
        requestCount: this.summary.requests,
      };
    }
    const values = new Float64Array(this.rowCount * this.width);
    let at = 0;
    let violations: number[] | undefined;
    for (const c of this.chunks) {
      values.set(c.values, at);
      at += c.values.length;
      if (c.typeViolations) {
        violations ??= new Array<number>(this.width).fill(0);
        c.typeViolations.forEach((n, i) => {
          violations![i]! += n;
        });
      }
    }
    this.sequence++;
    return {
      sequence: this.sequence,
      startMs: aligned?.startMs ?? this.chunks[0]!.timeMs,
      endMs: aligned?.endMs ?? nowMs,
      reason,
      rows: this.rowCount,
      values,
      requestIds: this.chunks.map((c) => c.requestId),
      ...(violations ? { typeViolations: violations } : {}),
      carriedRows: this.carriedRows,
    };
  }
}
