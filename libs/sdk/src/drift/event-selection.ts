/**
 * Which inference events a drift detector reads (the shared event selector) and how they are grouped
 * into test windows, in plain form, with their conversion to and from the contract.
 * Durations are milliseconds, counts numbers.
 */
import { driftV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { type EventSelector, selectorMessage, selectorOf } from '../data/event-selector.js';

export { selectorMessage, selectorOf };

/** The events and tensors a detector reads (the shared {@link EventSelector}). */
export type DriftEventSelector = EventSelector;

/** How events are grouped into test windows: closed on a row count or a time, whichever first. */
export interface DriftWindowOptions {
  /** Rows that close a window; unset: the service's default (1000). */
  readonly maxRows?: number;
  /** Time since the window's first event that closes it, in ms; unset: 1 hour. */
  readonly maxDurationMs?: number;
  /** Fewer rows than this at a time close are carried into the next window; unset: 30. */
  readonly minRows?: number;
  /** Tumbling (the default: each row tested once) or sliding. */
  readonly mode?: 'tumbling' | 'sliding';
  /** Sliding: rows dropped from the front after each test; unset: maxRows / 2. */
  readonly slideRows?: number;
  /**
   * Tumbling: rows held raw; past them the window is summarised (sketches) and scored
   * approximately, the result stating the error; unset: the service's --max-exact-window-rows.
   */
  readonly exactRows?: number;
  /** Tumbling: windows start at multiples of maxDurationMs (as replicas cut them). */
  readonly aligned?: boolean;
}

const MODES = {
  tumbling: driftV1.WindowMode.WINDOW_MODE_TUMBLING,
  sliding: driftV1.WindowMode.WINDOW_MODE_SLIDING,
} as const;

const MAX_UINT32 = 4_294_967_295;

function count(value: number | undefined, field: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 1 || value > MAX_UINT32) {
    throw new InvalidArgumentError(`${field}: must be a whole number from 1 to ${MAX_UINT32}, got ${value}`, {
      field,
    });
  }
  return value;
}

/**
 * The contract's window.
 *
 * @throws InvalidArgumentError naming a count that is not a positive whole number, a
 *   duration that is not a positive number of ms, or an unknown mode.
 */
export function windowMessage(window: DriftWindowOptions): driftV1.BatchWindow {
  const mode = window.mode ?? 'tumbling';
  if (!Object.hasOwn(MODES, mode)) {
    throw new InvalidArgumentError(`mode: must be "tumbling" or "sliding", got ${JSON.stringify(mode)}`, {
      field: 'mode',
    });
  }
  const ms = window.maxDurationMs;
  if (ms !== undefined && (!Number.isFinite(ms) || ms <= 0)) {
    throw new InvalidArgumentError(`maxDurationMs: must be a positive number of ms, got ${ms}`, {
      field: 'maxDurationMs',
    });
  }
  return driftV1.BatchWindow.fromPartial({
    maxRows: count(window.maxRows, 'maxRows'),
    minRows: count(window.minRows, 'minRows'),
    slideRows: count(window.slideRows, 'slideRows'),
    exactRows: count(window.exactRows, 'exactRows'),
    aligned: window.aligned === true,
    mode: MODES[mode],
    ...(ms !== undefined && {
      maxDuration: { seconds: BigInt(Math.floor(ms / 1000)), nanos: Math.round((ms % 1000) * 1e6) },
    }),
  });
}

/** The plain window of a contract's one (zeros, the service's defaults, left out). */
export function windowOf(message: driftV1.BatchWindow): DriftWindowOptions {
  const duration = message.maxDuration;
  return {
    ...(message.maxRows !== 0 && { maxRows: message.maxRows }),
    ...(duration !== undefined && { maxDurationMs: Number(duration.seconds) * 1000 + duration.nanos / 1e6 }),
    ...(message.minRows !== 0 && { minRows: message.minRows }),
    mode: message.mode === driftV1.WindowMode.WINDOW_MODE_SLIDING ? 'sliding' : 'tumbling',
    ...(message.slideRows !== 0 && { slideRows: message.slideRows }),
    ...(message.exactRows !== 0 && { exactRows: message.exactRows }),
    ...(message.aligned && { aligned: true }),
  };
}

/** A reference that trails the stream, refitted by the service on a schedule. */
export interface DriftTrailingReference {
  /** The stored events to read; unset: the detector's live selector. */
  readonly selector?: DriftEventSelector;
  /** How long before now the reference ends, in ms (e.g. 7 days); default 0. */
  readonly offsetMs?: number;
  /** The reference's length, in ms. */
  readonly lengthMs: number;
  /** How often the reference moves, in ms; default `lengthMs`. */
  readonly refitIntervalMs?: number;
  /** Fewest rows a refit takes; default the kind's minimum. */
  readonly minRows?: number;
}

function durationMessage(ms: number, field: string, positive: boolean): { seconds: bigint; nanos: number } {
  if (!Number.isFinite(ms) || ms < 0 || (positive && ms === 0)) {
    throw new InvalidArgumentError(
      `${field}: must be a ${positive ? 'positive' : 'non-negative'} number of ms, got ${ms}`,
      { field },
    );
  }
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: Math.round((ms % 1000) * 1e6) };
}

function durationMsOf(duration: { seconds: bigint; nanos: number } | undefined): number | undefined {
  return duration === undefined ? undefined : Number(duration.seconds) * 1000 + duration.nanos / 1e6;
}

/**
 * The contract's trailing reference.
 *
 * @throws InvalidArgumentError naming a duration that is not a (positive) number of ms or a
 *   row count that is not a whole number.
 */
export function trailingReferenceMessage(trailing: DriftTrailingReference): driftV1.TrailingReference {
  return driftV1.TrailingReference.fromPartial({
    ...(trailing.selector !== undefined && { selector: selectorMessage(trailing.selector) }),
    offset: durationMessage(trailing.offsetMs ?? 0, 'trailingReference.offsetMs', false),
    length: durationMessage(trailing.lengthMs, 'trailingReference.lengthMs', true),
    ...(trailing.refitIntervalMs !== undefined && {
      refitInterval: durationMessage(trailing.refitIntervalMs, 'trailingReference.refitIntervalMs', true),
    }),
    minRows: BigInt(count(trailing.minRows, 'trailingReference.minRows')),
  });
}

/** The plain trailing reference of a contract's one. */
export function trailingReferenceOf(message: driftV1.TrailingReference): DriftTrailingReference {
  const refit = durationMsOf(message.refitInterval);
  return {
    ...(message.selector !== undefined &&
      message.selector.modelName !== '' && {
        selector: selectorOf(message.selector),
      }),
    offsetMs: durationMsOf(message.offset) ?? 0,
    lengthMs: durationMsOf(message.length) ?? 0,
    ...(refit !== undefined && { refitIntervalMs: refit }),
    ...(message.minRows !== 0n && { minRows: Number(message.minRows) }),
  };
}
