/**
 * A consecutive-failures circuit breaker: after `failureThreshold` failed calls in a row
 * it opens and fails calls at once; after `openDurationMs` it lets one trial call through
 * (half-open), which closes it on success and reopens it on failure.
 */
import type { BreakerSpec } from '../graph/graph-spec.js';
import type { BreakerState } from './ports.js';

export class CircuitBreaker {
  private failures = 0;
  private openedAtMs = 0;
  private trialInFlight = false;
  private current: BreakerState = 'closed';

  constructor(
    private readonly spec: BreakerSpec,
    private readonly onChange: (state: BreakerState) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a call may go out now; in half-open state only one trial at a time. */
  allow(): boolean {
    if (this.spec.failureThreshold === 0 || this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.now() - this.openedAtMs < this.spec.openDurationMs) return false;
      this.set('half_open');
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** Milliseconds until an open breaker lets a trial call through. */
  retryAfterMs(): number {
    return Math.max(0, this.openedAtMs + this.spec.openDurationMs - this.now());
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.current !== 'closed') this.set('closed');
  }

  failure(): void {
    if (this.spec.failureThreshold === 0) return;
    this.trialInFlight = false;
    this.failures += 1;
    if (this.current === 'half_open' || this.failures >= this.spec.failureThreshold) {
      this.openedAtMs = this.now();
      this.set('open');
    }
  }

  private set(state: BreakerState): void {
    this.current = state;
    this.onChange(state);
  }
}
