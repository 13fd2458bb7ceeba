/**
 * One alert's state and the state machine Prometheus alerting runs: INACTIVE → PENDING while
 * the condition holds for less than `for`, → FIRING once it has held that long, and back to
 * INACTIVE (a resolution, when it was firing) as soon as it no longer holds. Too few samples,
 * or a metric that cannot be read, count as "does not hold".
 */
import type { ConfidenceInterval } from '@sightline/stats';

export type AlertStateName = 'inactive' | 'pending' | 'firing';

/** Version of the saved {@link AlertStatus}. */
export const ALERT_STATUS_SCHEMA_VERSION = 1;

/** One alert: a rule, and for a rule over every value of a segment, one value. */
export interface AlertStatus {
  readonly rule: string;
  /** The segment this alert is for; undefined for the whole series. */
  readonly segment?: { readonly name: string; readonly value: string };
  readonly state: AlertStateName;
  /** The metric at the last evaluation; NaN when it could not be read. */
  readonly value: number;
  readonly samples: number;
  readonly interval?: ConfidenceInterval;
  /** Why INACTIVE, when not simply because the condition does not hold; '' otherwise. */
  readonly reason: string;
  /** When the alert entered its state. */
  readonly stateSinceMs: number;
  /** While firing: when it started firing. */
  readonly firingSinceMs?: number;
  /** The last evaluation; undefined before the first. */
  readonly evaluatedMs?: number;
}

/** What one evaluation found. */
export interface Observation {
  /** Whether the condition holds (false with too few samples or an unreadable metric). */
  readonly holds: boolean;
  readonly value: number;
  readonly samples: number;
  readonly interval?: ConfidenceInterval;
  readonly reason: string;
}

/** A transition that is an AlertEvent. */
export type AlertTransitionName = 'firing' | 'resolved';

/** The next state of an alert after an evaluation at `nowMs`, and the event it makes, if any. */
export function nextAlertStatus(
  previous: AlertStatus,
  seen: Observation,
  nowMs: number,
  forMs: number,
): { status: AlertStatus; transition?: AlertTransitionName } {
  const base = {
    rule: previous.rule,
    ...(previous.segment !== undefined ? { segment: previous.segment } : {}),
    value: seen.value,
    samples: seen.samples,
    ...(seen.interval !== undefined ? { interval: seen.interval } : {}),
    reason: seen.holds ? '' : seen.reason,
    evaluatedMs: nowMs,
  };
  if (!seen.holds) {
    const status: AlertStatus = {
      ...base,
      state: 'inactive',
      stateSinceMs: previous.state === 'inactive' ? previous.stateSinceMs : nowMs,
    };
    return previous.state === 'firing' ? { status, transition: 'resolved' } : { status };
  }
  if (previous.state === 'firing') return { status: { ...previous, ...base } };
  const activeSince = previous.state === 'pending' ? previous.stateSinceMs : nowMs;
  if (nowMs - activeSince >= forMs) {
    return {
      status: { ...base, state: 'firing', stateSinceMs: nowMs, firingSinceMs: nowMs },
      transition: 'firing',
    };
  }
  return { status: { ...base, state: 'pending', stateSinceMs: activeSince } };
}

/** A new alert, never evaluated. */
export function newAlertStatus(rule: string, segment: AlertStatus['segment'], nowMs: number): AlertStatus {
  return {
    rule,
    ...(segment !== undefined ? { segment } : {}),
    state: 'inactive',
    value: Number.NaN,
    samples: 0,
    reason: 'not evaluated yet',
    stateSinceMs: nowMs,
  };
}
