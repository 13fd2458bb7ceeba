import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BreakerOutcome, type BreakerPermit, CircuitBreaker } from './circuit-breaker.js';
import type { BreakerState } from './ports.js';

const SPEC = { failureThreshold: 2, openDurationMs: 1000 };

function clockedBreaker(spec = SPEC) {
  const clock = { ms: 0 };
  const changes: BreakerState[] = [];
  const breaker = new CircuitBreaker(
    spec,
    (s) => changes.push(s),
    () => clock.ms,
  );
  return { breaker, clock, changes };
}

/** Two failures open it; the clock then moves past the open duration. */
function openAndWait() {
  const b = clockedBreaker();
  b.breaker.permit()!.settle('failure');
  b.breaker.permit()!.settle('failure');
  expect(b.breaker.state).toBe('open');
  expect(b.breaker.permit()).toBeUndefined();
  b.clock.ms += SPEC.openDurationMs;
  return b;
}

describe('CircuitBreaker', () => {
  it('opens after failureThreshold failures in a row; an answer in between resets the count', () => {
    const { breaker, changes } = clockedBreaker();
    breaker.permit()!.settle('failure');
    breaker.permit()!.settle('success');
    breaker.permit()!.settle('failure');
    expect(breaker.state).toBe('closed');
    breaker.permit()!.settle('failure');
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['open']);
  });

  it('closes when the half-open trial ends in an answer, even an error answer (NOT_FOUND)', () => {
    const { breaker, changes } = openAndWait();
    const trial = breaker.permit()!;
    expect(trial.trial).toBe(true);
    expect(breaker.permit()).toBeUndefined();
    trial.settle('success');
    expect(breaker.state).toBe('closed');
    expect(breaker.permit()).toBeDefined();
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('reopens with a new next-trial time when the trial fails', () => {
    const { breaker, clock } = openAndWait();
    breaker.permit()!.settle('failure');
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBe(SPEC.openDurationMs);
    clock.ms += SPEC.openDurationMs - 1;
    expect(breaker.permit()).toBeUndefined();
    clock.ms += 1;
    expect(breaker.permit()?.trial).toBe(true);
  });

  it('re-arms the trial when the caller abandoned it (cancel, its own deadline)', () => {
    const { breaker } = openAndWait();
    breaker.permit()!.settle('abandoned');
    expect(breaker.state).toBe('half_open');
    const next = breaker.permit();
    expect(next?.trial).toBe(true);
    next!.settle('success');
    expect(breaker.state).toBe('closed');
  });

  it('counts a permit once however often it is settled, and ignores late closed-state outcomes once open', () => {
    const { breaker } = clockedBreaker();
    const late = breaker.permit()!;
    const first = breaker.permit()!;
    first.settle('failure');
    first.settle('failure');
    expect(breaker.state).toBe('closed');
    breaker.permit()!.settle('failure');
    expect(breaker.state).toBe('open');
    late.settle('success');
    expect(breaker.state).toBe('open');
  });

  it('is off with a threshold of 0', () => {
    const { breaker } = clockedBreaker({ failureThreshold: 0, openDurationMs: 1000 });
    for (let i = 0; i < 10; i++) breaker.permit()!.settle('failure');
    expect(breaker.state).toBe('closed');
  });

  it('property: never open or half-open past its trial time without a trial allowed or running', () => {
    type Step =
      | { readonly kind: 'call' }
      | { readonly kind: 'settle'; readonly index: number; readonly outcome: BreakerOutcome }
      | { readonly kind: 'advance'; readonly ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant<Step>({ kind: 'call' }),
      fc.record({
        kind: fc.constant('settle' as const),
        index: fc.nat(),
        outcome: fc.constantFrom<BreakerOutcome>('success', 'failure', 'abandoned'),
      }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.array(step, { maxLength: 60 }),
        (failureThreshold, openDurationMs, steps) => {
          const clock = { ms: 0 };
          const breaker = new CircuitBreaker({ failureThreshold, openDurationMs }, undefined, () => clock.ms);
          const open: BreakerPermit[] = [];
          const check = () => {
            if (breaker.state === 'closed') return;
            // Past its trial time, a breaker whose trial is not running must let one through.
            if (!breaker.trialInFlight && breaker.retryAfterMs() === 0) {
              const probe = breaker.permit();
              expect(probe?.trial).toBe(true);
              open.push(probe!);
            }
            if (breaker.state === 'open') expect(breaker.retryAfterMs()).toBeGreaterThan(0);
          };
          for (const s of steps) {
            if (s.kind === 'call') {
              const permit = breaker.permit();
              if (permit) open.push(permit);
            } else if (s.kind === 'settle' && open.length > 0) {
              open.splice(s.index % open.length, 1)[0]!.settle(s.outcome);
            } else if (s.kind === 'advance') clock.ms += s.ms;
            check();
          }
          // Every call ends: once all are settled and the open time has passed, a call goes out.
          for (const permit of open.splice(0)) permit.settle('abandoned');
          clock.ms += openDurationMs;
          expect(breaker.permit()).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});
