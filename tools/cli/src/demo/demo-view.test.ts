import { describe, expect, it } from 'vitest';
import type { DemoOutcome } from './demo-outcome.js';
import { demoSections } from './demo-view.js';

const outcome = (checked: number): DemoOutcome => ({
  runId: 'demo-42-x',
  rows: 400,
  driftStart: 200,
  windowRows: 100,
  replayMs: 1000,
  drift: { windows: [], firstDriftWindow: 2, expectedFirstDriftWindow: 2 },
  outliers: {
    planted: [5, 300],
    checked,
    flaggedPlanted: checked === 0 ? 0 : 2,
    recall: checked === 0 ? 0 : 1,
    flaggedBeforeDrift: checked === 0 ? 0 : 1,
    precisionBeforeDrift: 1,
    flaggedAfterDrift: 0,
  },
  metrics: [],
  problems:
    checked === 0 ? ['outlier: 400 of 400 requests got no verdict (the detector node was skipped)'] : [],
});

const titles = (o: DemoOutcome) =>
  demoSections(o, 'iris-demo-drift').map((s) => ('title' in s ? (s.title ?? '') : ''));

describe('the demo view', () => {
  it('shows the outlier figures only when the detector answered: with the outlier service down, no "recall 0%, precision 100%"', () => {
    expect(titles(outcome(400)).some((t) => t.startsWith('Outliers'))).toBe(true);
    expect(titles(outcome(0)).some((t) => t.startsWith('Outliers'))).toBe(false);
  });
});
