/**
 * A consecutive-failures circuit breaker: after `failureThreshold` upstream failures in a
 * row it opens and fails calls at once; after `openDurationMs` it lets one trial call
 * through (half-open).
 *
 * Every call that goes out holds a {@link BreakerPermit} and settles it exactly once with
 * its outcome, so a trial always resolves the state:
 * - `success` (the upstream answered, whatever its answer) closes the breaker;
 * - `failure` (the upstream is down or overloaded) reopens it, with a new next-trial time;
 * - `abandoned` (the caller cancelled or its own deadline ended the call: nothing learnt
 *   about the upstream) re-arms the trial, so the next call is the trial.
 * A trial that is never settled would keep the breaker half-open with no trial allowed
 * forever (issue 8, defect 1); the call policy settles in a `finally`.
 */
import type { BreakerSpec } from '../graph/graph-spec.js';
import type { BreakerState } from './ports.js';

/** What a call told the breaker about its upstream. */
export type BreakerOutcome = 'success' | 'failure' | 'abandoned';

/** The right of one call to go out; settle it once when the call ends. */
export interface BreakerPermit {
  /** Whether this call is the half-open trial. */
  readonly trial: boolean;
  /** Reports the call's outcome; later calls of it do nothing. */
  settle(outcome: BreakerOutcome): void;
}

/** The permit of a breaker that is off (threshold 0): nothing to report. */
const UNGUARDED: BreakerPermit = Object.freeze({ trial: false, settle: () => {} });

/** One node's breaker for one upstream address. */
export class CircuitBreaker {
  private failures = 0;
  private openedAtMs = 0;
  /** The half-open trial's permit while it runs. */
  private trialPermit: BreakerPermit | undefined;
  private current: BreakerState = 'closed';

  constructor(
    private readonly spec: BreakerSpec,
    private readonly onChange: (state: BreakerState) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Whether the breaker counts failures at all (a threshold of 0 turns it off). */
  get enabled(): boolean {
    return this.spec.failureThreshold > 0;
  }

  /** Whether a trial call is running now. */
  get trialInFlight(): boolean {
    return this.trialPermit !== undefined;
  }

  /**
   * A permit for a call to go out now, or undefined when the breaker is open (before the
   * next trial time) or half-open with its one trial running.
   */
  permit(): BreakerPermit | undefined {
    if (!this.enabled) return UNGUARDED;
    if (this.current === 'closed') return this.newPermit(false);
    if (this.current === 'open') {
      if (this.now() < this.nextTrialAtMs()) return undefined;
      this.set('half_open');
    }
    if (this.trialPermit) return undefined;
    const permit = this.newPermit(true);
    this.trialPermit = permit;
    return permit;
  }

  /** Milliseconds until an open breaker lets a trial call through (0 once it may). */
  retryAfterMs(): number {
    return this.current === 'open' ? Math.max(0, this.nextTrialAtMs() - this.now()) : 0;
  }

  private nextTrialAtMs(): number {
    return this.openedAtMs + this.spec.openDurationMs;
  }

  private newPermit(trial: boolean): BreakerPermit {
    let settled = false;
    const permit: BreakerPermit = {
      trial,
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        if (trial) this.settleTrial(permit, outcome);
        else this.settleClosed(outcome);
      },
    };
    return permit;
  }

  private settleTrial(permit: BreakerPermit, outcome: BreakerOutcome): void {
    if (this.trialPermit !== permit) return;
    this.trialPermit = undefined;
    if (outcome === 'success') this.close();
    else if (outcome === 'failure') this.open();
    // 'abandoned': stays half-open with the trial slot free, so the next call is the trial.
  }

  /**
   * A call let through while closed. Once the breaker has opened, such late outcomes are
   * old news: only the trial decides what happens next.
   */
  private settleClosed(outcome: BreakerOutcome): void {
    if (this.current !== 'closed') return;
    if (outcome === 'success') this.failures = 0;
    else if (outcome === 'failure') {
      this.failures += 1;
      if (this.failures >= this.spec.failureThreshold) this.open();
    }
  }

  private open(): void {
    this.openedAtMs = this.now();
    this.set('open');
  }

  private close(): void {
    this.failures = 0;
    this.set('closed');
  }

  private set(state: BreakerState): void {
    if (state === this.current) return;
    this.current = state;
    this.onChange(state);
  }
}
