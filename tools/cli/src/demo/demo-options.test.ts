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
    expect(problem({ windowRows: 3000 })).toBe(
      '--window-rows: must be a whole number from 1 to 2000, got 3000',
    );
    expect(problem({ driftAt: 1 })).toBe('--drift-at: must be in (0, 1), got 1');
    expect(problem({ labelledFraction: 0 })).toBe('--labelled-fraction: must be in (0, 1], got 0');
    expect(problem({ driftShift: [1, 2] })).toBe('--drift-shift: must be four numbers (cm), got 1,2');
    expect(problem({ outliers: 2001 })).toBe(
      '--outliers: must be a whole number from 0 to --rows (2000), got 2001',
    );
    expect(problem({ driftAt: 0.01 })).toBe(
      '--drift-at: leaves no whole window of 100 rows before or after the drift (2000 rows)',
    );
    expect(problem({ feedbackDelayMs: -1 })).toBe('--feedback-delay: must be 0 ms or more, got -1');
  });
});
