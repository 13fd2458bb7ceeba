import { describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_OPTIONS, demoOptionsProblem, driftStartOf } from './demo-options.js';

describe('demo options', () => {
  it('accept their defaults, with the drift on a window boundary half-way', () => {
    expect(demoOptionsProblem(DEFAULT_DEMO_OPTIONS)).toBeUndefined();
    expect(driftStartOf(DEFAULT_DEMO_OPTIONS)).toBe(1000);
    expect(driftStartOf({ rows: 1050, driftAt: 0.5, windowRows: 100 })).toBe(500);
  });

  it('name the option and the rule that is broken', () => {
    const problem = (change: Partial<typeof DEFAULT_DEMO_OPTIONS>) =>
      demoOptionsProblem({ ...DEFAULT_DEMO_OPTIONS, ...change });
    expect(problem({ rows: 0 })).toBe('--rows: must be a whole number from 1 to 100000, got 0');
    expect(problem({ windowRows: 0 })).toBe('--window-rows: must be a whole number from 1 to 50000, got 0');
    // Too few rows for one window before the drift and one after: named by --rows, with the
    // --window-rows it depends on (a user who typed --rows 10 never set --window-rows).
    expect(problem({ rows: 10 })).toBe(
      '--rows: must be at least 2 × --window-rows (100) = 200, a whole window before the drift and one after, got 10',
    );
    expect(problem({ windowRows: 3000 })).toBe(
      '--rows: must be at least 2 × --window-rows (3000) = 6000, a whole window before the drift and one after, got 2000',
    );
    expect(problem({ driftAt: 1 })).toBe('--drift-at: must be in (0, 1), got 1');
    expect(problem({ labelledFraction: 0 })).toBe('--labelled-fraction: must be in (0, 1], got 0');
    expect(problem({ driftShift: [1, 2] })).toBe(
      '--drift-shift: must be four numbers from -10 to 10 (cm), got 1,2',
    );
    expect(problem({ outliers: 2001 })).toBe(
      '--outliers: must be a whole number from 0 to --rows (2000), got 2001',
    );
    expect(problem({ driftAt: 0.01 })).toBe(
      '--drift-at: leaves no whole window of 100 rows before or after the drift (2000 rows)',
    );
    expect(problem({ feedbackDelayMs: -1 })).toBe(
      '--feedback-delay: must be a whole number of ms from 0 to 600000, got -1',
    );
  });

  it('bound every wait, the seed and the centimetres, so no value hangs the demo or sends infinities', () => {
    const problem = (change: Partial<typeof DEFAULT_DEMO_OPTIONS>) =>
      demoOptionsProblem({ ...DEFAULT_DEMO_OPTIONS, ...change });
    // Past 2^31 - 1 ms a timer fires at once (TimeoutOverflowWarning); below it, days.
    expect(problem({ feedbackDelayMs: 1e12 })).toBe(
      '--feedback-delay: must be a whole number of ms from 0 to 600000, got 1000000000000',
    );
    expect(problem({ settleTimeoutMs: 1e12 })).toBe(
      '--settle-timeout: must be a whole number of ms from 1 to 600000, got 1000000000000',
    );
    expect(problem({ settleTimeoutMs: 0 })).toBe(
      '--settle-timeout: must be a whole number of ms from 1 to 600000, got 0',
    );
    expect(problem({ feedbackDelayMs: 600_000, settleTimeoutMs: 600_000 })).toBeUndefined();
    // Seeds outside uint32 were folded silently (1e300 and 0 drew the same traffic).
    expect(problem({ seed: 1e300 })).toBe('--seed: must be a whole number from 0 to 4294967295, got 1e+300');
    expect(problem({ seed: -1 })).toBe('--seed: must be a whole number from 0 to 4294967295, got -1');
    expect(problem({ seed: 1.5 })).toBe('--seed: must be a whole number from 0 to 4294967295, got 1.5');
    expect(problem({ seed: 4294967295 })).toBeUndefined();
    // 1e300 cm is Infinity in FP32: the model's answers are NaN.
    expect(problem({ noiseCm: 1e300 })).toBe('--noise-cm: must be from 0 to 10 cm, got 1e+300');
    expect(problem({ driftShift: [1e300, 0, 0, 0] })).toBe(
      '--drift-shift: must be four numbers from -10 to 10 (cm), got 1e+300,0,0,0',
    );
    expect(problem({ noiseCm: 10, driftShift: [-10, 10, 0, 0] })).toBeUndefined();
  });
});
