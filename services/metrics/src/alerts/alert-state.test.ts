import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AlertStatus, newAlertStatus, nextAlertStatus, type Observation } from './alert-state.js';

const MINUTE = 60_000;
const seen = (holds: boolean): Observation => ({
  holds,
  value: holds ? 0.5 : 0.9,
  samples: 100,
  reason: holds ? '' : 'x',
});

describe('nextAlertStatus (property: the Prometheus state machine)', () => {
  it('fires only after the condition held for `for`, alternates FIRING and RESOLVED, and resolves on the first miss', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { maxLength: 60 }),
        fc.integer({ min: 0, max: 10 }),
        (holds, forMinutes) => {
          const forMs = forMinutes * MINUTE;
          let status: AlertStatus = newAlertStatus('r', undefined, 0);
          let heldSince: number | undefined;
          let firing = false;
          holds.forEach((h, i) => {
            const now = (i + 1) * MINUTE;
            const { status: next, transition } = nextAlertStatus(status, seen(h), now, forMs);
            if (!h) heldSince = undefined;
            else heldSince ??= now;
            const shouldFire = h && heldSince !== undefined && now - heldSince >= forMs;
            if (shouldFire && !firing) expect(transition).toBe('firing');
            else if (!h && firing) expect(transition).toBe('resolved');
            else expect(transition).toBeUndefined();
            firing = shouldFire;
            expect(next.state).toBe(shouldFire ? 'firing' : h ? 'pending' : 'inactive');
            if (next.state === 'pending') expect(next.stateSinceMs).toBe(heldSince);
            if (next.state === 'firing') expect(next.firingSinceMs).toBeLessThanOrEqual(now);
            status = next;
          });
        },
      ),
      { seed: 12, numRuns: 300 },
    );
  });

  it('keeps the firing start while firing and reports it on resolution', () => {
    let status = newAlertStatus('r', undefined, 0);
    status = nextAlertStatus(status, seen(true), MINUTE, 0).status;
    status = nextAlertStatus(status, seen(true), 2 * MINUTE, 0).status;
    expect(status).toMatchObject({ state: 'firing', firingSinceMs: MINUTE, stateSinceMs: MINUTE });
    const resolved = nextAlertStatus(status, seen(false), 3 * MINUTE, 0);
    expect(resolved.transition).toBe('resolved');
    expect(resolved.status).toMatchObject({ state: 'inactive', stateSinceMs: 3 * MINUTE, reason: 'x' });
  });
});
