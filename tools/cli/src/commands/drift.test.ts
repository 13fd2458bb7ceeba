import { describe, expect, it } from 'vitest';
import { osUser, trailingFromFlags } from './drift.js';
import { scannedShare } from './history-scan.js';

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

describe('fit --trailing', () => {
  it('asks for a trailing reference: offset, length, refit interval and the selector', () => {
    expect(trailingFromFlags({})).toBeUndefined();
    expect(
      trailingFromFlags({ trailing: '7d', length: '1h', refitEvery: '30m', model: 'iris', tensor: 'input' }),
    ).toEqual({
      selector: expect.objectContaining({ modelName: 'iris', tensors: ['input'] }),
      offsetMs: 7 * 86_400_000,
      lengthMs: 3_600_000,
      refitIntervalMs: 1_800_000,
    });
    expect(trailingFromFlags({ trailing: '0', length: '2h', model: 'iris' })).toMatchObject({
      offsetMs: 0,
      lengthMs: 7_200_000,
    });
  });

  it.each([
    [{ length: '1h' }, '--length: only with --trailing (a trailing reference)'],
    [{ refitEvery: '1h' }, '--refit-every: only with --trailing (a trailing reference)'],
    [{ trailing: '7d', model: 'iris' }, '--length: required with --trailing (e.g. 1h)'],
    [{ trailing: '7d', length: '1h', from: '1h', model: 'iris' }, /^--trailing: instead of --reference/],
    [{ trailing: '7 days', length: '1h', model: 'iris' }, /^--trailing: expected a duration with a unit/],
    [{ trailing: '7d', length: '0', model: 'iris' }, /^--length: expected a duration with a unit/],
    [{ trailing: '7d', length: '1h' }, /^--model: required/],
  ])('refuses %j', (flags, message) => {
    expect(() => trailingFromFlags(flags)).toThrow(message);
  });
});
