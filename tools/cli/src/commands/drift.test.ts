import { describe, expect, it } from 'vitest';
import { osUser, scannedShare } from './drift.js';

describe('drift run progress', () => {
  const progress = (ms: number | undefined) => ({
    eventsRead: 0,
    eventsMatched: 0,
    eventsSkipped: {},
    positionTime: ms === undefined ? undefined : new Date(ms),
    windows: 0,
  });

  it("is the share of the time range up to the scan's position, within [0, 1]", () => {
    expect(scannedShare(progress(1500), 1000, 3000)).toBe(0.25);
    expect(scannedShare(progress(500), 1000, 3000)).toBe(0);
    expect(scannedShare(progress(9000), 1000, 3000)).toBe(1);
    expect(scannedShare(progress(undefined), 1000, 3000)).toBe(0);
  });
});

describe('osUser', () => {
  it('names someone', () => {
    expect(osUser({})).not.toBe('');
  });
});
