/**
 * The flags of `sightline metrics`: spans (`--window 1h`, `--step 5m`: a number and a unit,
 * s, m, h or d; no cap here, the service bounds them by its retention), `name=value`
 * segments, and the task of `compute`.
 */
import type { GetMetricsOptions } from '@sightline/sdk';
import { UsageError } from '../frame/usage-error.js';
import { parseEventTime } from './event-time.js';

const SPAN = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The longest span a flag takes: ten years, far past any retention (the service says which). */
const MAX_SPAN_MS = 10 * 365 * 86_400_000;

/**
 * A span such as `90s`, `15m`, `1h`, `7d`, in ms.
 * @throws UsageError naming the flag.
 */
export function parseSpanMs(text: string, flag: string): number {
  const match = SPAN.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * UNIT_MS[match[2]!]!) : Number.NaN;
  if (!(ms >= 1000 && ms <= MAX_SPAN_MS)) {
    throw new UsageError(
      `${flag}: expected a span of 1s or more such as 15m, 1h or 7d, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/**
 * A `name=value` segment.
 * @throws UsageError naming the flag.
 */
export function parseSegment(text: string, flag: string): { name: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0)
    throw new UsageError(`${flag}: expected name=value (e.g. country=fr), got ${JSON.stringify(text)}`);
  return { name: text.slice(0, at), value: text.slice(at + 1) };
}

/** The window flags of `metrics show` and `metrics compare`. */
export interface WindowFlags {
  readonly window?: string;
  readonly from?: string;
  readonly to?: string;
}

/**
 * The window of the flags: `--from [--to]` or `--window` (default 1h), not both.
 * @throws UsageError naming the flags.
 */
export function timeWindowFromFlags(
  flags: WindowFlags,
  now = Date.now(),
): { trailingMs: number } | { from: number; to?: number } {
  if (flags.from !== undefined) {
    if (flags.window !== undefined) throw new UsageError('--window and --from: give one or the other');
    const from = parseEventTime(flags.from, '--from', now);
    const to = flags.to === undefined ? undefined : parseEventTime(flags.to, '--to', now);
    if (to !== undefined && to <= from) throw new UsageError('--to: must be after --from');
    return { from, ...(to !== undefined && { to }) };
  }
  if (flags.to !== undefined) throw new UsageError('--to: only with --from');
  return { trailingMs: parseSpanMs(flags.window ?? '1h', '--window') };
}

/** The flags of `metrics show`. */
export interface ShowFlags extends WindowFlags {
  readonly version?: string;
  readonly node?: string;
  readonly step?: string;
  readonly segment?: string;
  readonly bySegment?: string;
  readonly countWindows?: string;
  readonly referenceFrom?: string;
  readonly referenceTo?: string;
  readonly confidence?: string;
}

/**
 * GetMetrics' options from `metrics show`'s flags.
 * @throws UsageError naming a flag.
 */
export function showOptions(flags: ShowFlags, now = Date.now()): GetMetricsOptions {
  let window: GetMetricsOptions['window'];
  if (flags.countWindows !== undefined) {
    if (flags.window !== undefined || flags.from !== undefined || flags.step !== undefined) {
      throw new UsageError('--count-windows: not with --window, --from or --step');
    }
    const last = Number(flags.countWindows);
    if (!/^\d+$/.test(flags.countWindows) || last < 1) {
      throw new UsageError(
        `--count-windows: expected a whole number of 1 or more, got ${JSON.stringify(flags.countWindows)}`,
      );
    }
    window = { countWindows: last };
  } else window = timeWindowFromFlags(flags, now);
  if ((flags.referenceFrom === undefined) !== (flags.referenceTo === undefined)) {
    throw new UsageError('--reference-from and --reference-to: give both');
  }
  let confidence: number | undefined;
  if (flags.confidence !== undefined) {
    confidence = Number(flags.confidence);
    if (!(confidence > 0 && confidence < 1)) {
      throw new UsageError(
        `--confidence: expected a number between 0 and 1 (exclusive), got ${JSON.stringify(flags.confidence)}`,
      );
    }
  }
  return {
    window,
    ...(flags.step !== undefined && { stepMs: parseSpanMs(flags.step, '--step') }),
    ...(flags.segment !== undefined && { segment: parseSegment(flags.segment, '--segment') }),
    ...(flags.bySegment !== undefined && { breakdownSegment: flags.bySegment }),
    ...(flags.referenceFrom !== undefined &&
      flags.referenceTo !== undefined && {
        reference: {
          from: parseEventTime(flags.referenceFrom, '--reference-from', now),
          to: parseEventTime(flags.referenceTo, '--reference-to', now),
        },
      }),
    ...(confidence !== undefined && { confidence }),
  };
}
